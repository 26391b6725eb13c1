//! The public directory's tables: organizations (member library systems and
//! their outlets), changes submitted by library admins, and every version of
//! every entry. Consortium-wide reference tables: no tenant, no row-level security.
//!
//! The tables are declared here rather than in `schema.rs` so the directory
//! can evolve on its own; queries filter on the indexed columns (state, county,
//! city, zip, latitude and longitude, and the full-text index of
//! `search_text`), page listings on the listing indexes, count from
//! `directory_counts` where they can, and hand ranked searches [`Slim`] rows
//! (the caller ranks them and loads only its page in full with [`by_ids`]).

use crate::connection::DbConn;
use crate::error::{StoreError, StoreResult};
use crate::ids::{AccountId, LibraryId};
use chrono::NaiveDateTime;
use diesel::prelude::*;
use serde::{Deserialize, Serialize};

diesel::table! {
    /// Organizations in the directory.
    directory_entries (id) {
        id -> BigInt,
        library_id -> Nullable<BigInt>,
        parent_id -> Nullable<BigInt>,
        system_code -> Nullable<Text>,
        source_key -> Nullable<Text>,
        name -> Text,
        street -> Text,
        city -> Text,
        county -> Text,
        state -> Text,
        zip -> Text,
        phone -> Nullable<Text>,
        website -> Nullable<Text>,
        email -> Nullable<Text>,
        hours -> Nullable<Text>,
        services -> Nullable<Text>,
        latitude -> Nullable<Double>,
        longitude -> Nullable<Double>,
        search_text -> Text,
        version -> BigInt,
        updated_at -> Timestamp,
        opening_hours -> Nullable<Text>,
        service_tags -> Text,
        retired_at -> Nullable<Timestamp>,
        curated -> Bool,
        sort_name -> Text,
    }
}

diesel::table! {
    /// How many entries are listed, over all (`*`) and per state, kept by triggers.
    directory_counts (state) {
        state -> Text,
        listed -> BigInt,
    }
}

diesel::table! {
    /// Changes library admins submitted to their entry, and the director's decisions.
    directory_changes (id) {
        id -> BigInt,
        entry_id -> BigInt,
        library_id -> BigInt,
        submitted_by -> BigInt,
        submitted_at -> Timestamp,
        patch -> Text,
        status -> Text,
        decided_by -> Nullable<BigInt>,
        decided_at -> Nullable<Timestamp>,
        reason -> Nullable<Text>,
    }
}

diesel::table! {
    /// Every version of every entry, as it was published.
    directory_history (id) {
        id -> BigInt,
        entry_id -> BigInt,
        version -> BigInt,
        changed_at -> Timestamp,
        source -> Text,
        change_id -> Nullable<BigInt>,
        snapshot -> Text,
    }
}

/// A directory entry as stored.
#[derive(Debug, Clone, PartialEq, Queryable, Selectable, Serialize, Deserialize)]
#[diesel(table_name = directory_entries)]
pub struct Entry {
    /// Its id, stable across imports.
    pub id: i64,
    /// The member library this entry belongs to, whose admins may submit changes.
    pub library_id: Option<i64>,
    /// The library system this outlet belongs to, when it is a directory entry.
    pub parent_id: Option<i64>,
    /// The system's code in the source data (the FSCS id), shared by its outlets.
    pub system_code: Option<String>,
    /// The import's natural key, so importing twice changes nothing.
    pub source_key: Option<String>,
    /// The organization's name.
    pub name: String,
    /// Street address.
    pub street: String,
    /// City.
    pub city: String,
    /// County.
    pub county: String,
    /// Two-letter state code.
    pub state: String,
    /// Five-digit ZIP code.
    pub zip: String,
    /// Public telephone number.
    pub phone: Option<String>,
    /// Web site.
    pub website: Option<String>,
    /// Public email address of the organization.
    pub email: Option<String>,
    /// Opening hours, as the library words them.
    pub hours: Option<String>,
    /// Services offered.
    pub services: Option<String>,
    /// Latitude in degrees, when known.
    pub latitude: Option<f64>,
    /// Longitude in degrees, when known.
    pub longitude: Option<f64>,
    /// Lower-case words of the searchable fields.
    #[serde(skip)]
    pub search_text: String,
    /// Incremented by every change.
    pub version: i64,
    /// When it last changed.
    #[serde(with = "crate::time::rfc3339")]
    pub updated_at: NaiveDateTime,
    /// Opening hours as data (JSON the directory crate reads), when given.
    pub opening_hours: Option<String>,
    /// Services from the directory's vocabulary, comma-separated.
    pub service_tags: String,
    /// When the director retired it: kept with its history, no longer listed.
    #[serde(default, with = "crate::time::rfc3339_option")]
    pub retired_at: Option<NaiveDateTime>,
    /// Whether the director has edited it, so a later import leaves it alone.
    pub curated: bool,
    /// The name lower-cased: the listing order's second key.
    #[serde(skip)]
    pub sort_name: String,
}

/// The publishable fields of an entry: what an import or an approved change sets.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, Insertable, AsChangeset)]
#[diesel(table_name = directory_entries, treat_none_as_null = true)]
pub struct EntryFields {
    /// Name.
    pub name: String,
    /// Street address.
    pub street: String,
    /// City.
    pub city: String,
    /// County.
    pub county: String,
    /// Two-letter state code.
    pub state: String,
    /// Five-digit ZIP code.
    pub zip: String,
    /// Telephone.
    pub phone: Option<String>,
    /// Web site.
    pub website: Option<String>,
    /// Public email address.
    pub email: Option<String>,
    /// Opening hours.
    pub hours: Option<String>,
    /// Services.
    pub services: Option<String>,
    /// Latitude.
    pub latitude: Option<f64>,
    /// Longitude.
    pub longitude: Option<f64>,
    /// Opening hours as data (JSON), when given.
    #[serde(default)]
    pub opening_hours: Option<String>,
    /// Services from the vocabulary, comma-separated.
    #[serde(default)]
    pub service_tags: String,
}

impl Entry {
    /// The publishable fields of this entry.
    pub fn fields(&self) -> EntryFields {
        EntryFields {
            name: self.name.clone(),
            street: self.street.clone(),
            city: self.city.clone(),
            county: self.county.clone(),
            state: self.state.clone(),
            zip: self.zip.clone(),
            phone: self.phone.clone(),
            website: self.website.clone(),
            email: self.email.clone(),
            hours: self.hours.clone(),
            services: self.services.clone(),
            latitude: self.latitude,
            longitude: self.longitude,
            opening_hours: self.opening_hours.clone(),
            service_tags: self.service_tags.clone(),
        }
    }
}

/// Lower-case alphanumeric words of `text`, the unit of search on both sides.
pub fn words(text: &str) -> Vec<String> {
    text.split(|c: char| !c.is_alphanumeric())
        .filter(|w| !w.is_empty())
        .map(str::to_lowercase)
        .collect()
}

/// The words an entry is found by, space-separated with a leading and trailing space.
pub fn search_text(f: &EntryFields) -> String {
    let mut all = Vec::new();
    for part in [&f.name, &f.street, &f.city, &f.county, &f.state, &f.zip] {
        all.extend(words(part));
    }
    format!(" {} ", all.join(" "))
}

/// Latitude bounds, and longitude bounds unless the box crosses a pole or the antimeridian.
pub type BoundingBox = (f64, f64, Option<(f64, f64)>);

/// What to narrow the candidates to in SQL; ranking is the caller's.
#[derive(Debug, Clone, Default)]
pub struct Filter {
    /// Exact two-letter state, upper case.
    pub state: Option<String>,
    /// Exact county, upper case as stored by the import.
    pub county: Option<String>,
    /// Exact city, upper case as stored by the import.
    pub city: Option<String>,
    /// Exact five-digit ZIP code.
    pub zip: Option<String>,
    /// Exact system code: the outlets of one library system.
    pub system: Option<String>,
    /// Word prefixes every candidate must contain (lower case alphanumerics).
    pub words: Vec<String>,
    /// Latitude bounds, and longitude bounds unless the box crosses a pole or the antimeridian.
    pub bbox: Option<BoundingBox>,
    /// Only entries whose coordinates are known.
    pub located: bool,
    /// Only member libraries' entries and their branches (`parent_id`).
    pub members_only: bool,
}

/// The ids of member libraries' own entries (a handful): membership of a
/// branch is its parent's.
pub fn member_ids(conn: &mut DbConn) -> StoreResult<Vec<i64>> {
    use directory_entries as d;
    // No ORDER BY: with one, SQLite walks the whole table in id order rather
    // than the members' partial index (migration 000030); a handful sort here.
    let mut ids: Vec<i64> = d::table
        .filter(d::library_id.is_not_null())
        .filter(d::retired_at.is_null())
        .select(d::id)
        .load(conn)?;
    ids.sort_unstable();
    Ok(ids)
}

/// What ranking needs of an entry: no hours, services or contact details,
/// so a search reads a fraction of each matching row and loads the rest
/// only for the page it shows ([`by_ids`]).
#[derive(Debug, Clone, PartialEq, Queryable, Selectable)]
#[diesel(table_name = directory_entries)]
pub struct Slim {
    /// Its id.
    pub id: i64,
    /// The member library it belongs to.
    pub library_id: Option<i64>,
    /// Its library system's entry.
    pub parent_id: Option<i64>,
    /// Name.
    pub name: String,
    /// Street address.
    pub street: String,
    /// City.
    pub city: String,
    /// County.
    pub county: String,
    /// State.
    pub state: String,
    /// ZIP code.
    pub zip: String,
    /// Latitude.
    pub latitude: Option<f64>,
    /// Longitude.
    pub longitude: Option<f64>,
    /// The listing order's name key.
    pub sort_name: String,
}

/// Entries matching `filter` as [`Slim`] rows, at most `cap`, in no
/// particular order (the caller ranks; an ORDER BY id would make SQLite walk
/// the table in id order instead of the filter's index). Retired entries are never candidates.
pub fn slim_candidates(conn: &mut DbConn, filter: &Filter, cap: i64) -> StoreResult<Vec<Slim>> {
    let members = if filter.members_only {
        member_ids(conn)?
    } else {
        Vec::new()
    };
    let fts = fts_query(conn, &filter.words);
    let is_pg = matches!(conn, DbConn::Pg(_));
    Ok(filtered(filter, &members, fts, is_pg)
        .select(Slim::as_select())
        .limit(cap)
        .load(conn)?)
}

/// The entries with these ids, in no particular order (a page's worth).
pub fn by_ids(conn: &mut DbConn, ids: &[i64]) -> StoreResult<Vec<Entry>> {
    use directory_entries as d;
    if ids.is_empty() {
        return Ok(Vec::new());
    }
    Ok(d::table
        .filter(d::id.eq_any(ids.to_vec()))
        .select(Entry::as_select())
        .load(conn)?)
}

/// The FTS query matching entries whose search words start with every word.
fn fts_query(conn: &DbConn, words: &[String]) -> Option<String> {
    let clean: Vec<String> = words
        .iter()
        .map(|w| {
            w.chars()
                .filter(|c| c.is_alphanumeric())
                .collect::<String>()
        })
        .filter(|w| !w.is_empty())
        .collect();
    if clean.is_empty() {
        return None;
    }
    Some(match conn {
        // Quoted, so a word such as `and` or `near` is a word, not an operator.
        DbConn::Sqlite(_) => clean
            .iter()
            .map(|w| format!("\"{w}\"*"))
            .collect::<Vec<_>>()
            .join(" AND "),
        DbConn::Pg(_) => clean
            .iter()
            .map(|w| format!("{w}:*"))
            .collect::<Vec<_>>()
            .join(" & "),
    })
}

/// Entries matching `filter`, at most `cap`, in id order. Retired entries are never candidates.
pub fn candidates(conn: &mut DbConn, filter: &Filter, cap: i64) -> StoreResult<Vec<Entry>> {
    let members = if filter.members_only {
        member_ids(conn)?
    } else {
        Vec::new()
    };
    let fts = fts_query(conn, &filter.words);
    let is_pg = matches!(conn, DbConn::Pg(_));
    Ok(filtered(filter, &members, fts, is_pg)
        .select(Entry::as_select())
        .order(directory_entries::id)
        .limit(cap)
        .load(conn)?)
}

/// The member libraries' entries (`library_id` set) and their branches
/// (`parent_id` in `members`) matching `filter`, each read through its own
/// index rather than one OR over every row.
pub fn member_candidates(
    conn: &mut DbConn,
    filter: &Filter,
    members: &[i64],
) -> StoreResult<Vec<Entry>> {
    use directory_entries as d;
    let mut f = filter.clone();
    f.members_only = false;
    let is_pg = matches!(conn, DbConn::Pg(_));
    let fts = fts_query(conn, &f.words);
    if members.is_empty() {
        return Ok(Vec::new());
    }
    // By id: the primary key beats any index the other filters could use.
    let mut out: Vec<Entry> = filtered(&f, &[], fts.clone(), is_pg)
        .filter(d::id.eq_any(members.to_vec()))
        .select(Entry::as_select())
        .load(conn)?;
    out.extend(
        filtered(&f, &[], fts, is_pg)
            .filter(d::parent_id.eq_any(members.to_vec()))
            .filter(d::library_id.is_null())
            .select(Entry::as_select())
            .load::<Entry>(conn)?,
    );
    out.sort_by_key(|e| e.id);
    Ok(out)
}

/// How many entries match `filter`.
pub fn count_matching(conn: &mut DbConn, filter: &Filter) -> StoreResult<i64> {
    let only_state = filter.county.is_none()
        && filter.city.is_none()
        && filter.zip.is_none()
        && filter.system.is_none()
        && filter.words.is_empty()
        && filter.bbox.is_none()
        && !filter.located
        && !filter.members_only;
    if only_state {
        // Kept exact by triggers (migration 000031): one row, not a count of up to every row.
        let key = filter.state.clone().unwrap_or_else(|| "*".into());
        let listed: Option<i64> = directory_counts::table
            .filter(directory_counts::state.eq(key))
            .select(directory_counts::listed)
            .first(conn)
            .optional()?;
        return Ok(listed.unwrap_or(0));
    }
    let members = if filter.members_only {
        member_ids(conn)?
    } else {
        Vec::new()
    };
    let fts = fts_query(conn, &filter.words);
    let is_pg = matches!(conn, DbConn::Pg(_));
    Ok(filtered(filter, &members, fts, is_pg)
        .count()
        .get_result(conn)?)
}

/// Entries matching `filter` that are neither members nor their branches
/// (`members`), in listing order (sort name byte by byte, then id), after
/// `after` = (sort name, id): the page a query without words or `near`
/// shows, read from the listing index without loading the rest.
pub fn listing(
    conn: &mut DbConn,
    filter: &Filter,
    members: &[i64],
    after: Option<(&str, i64)>,
    limit: i64,
) -> StoreResult<Vec<Entry>> {
    use diesel::dsl::sql;
    use diesel::sql_types::{BigInt, Bool, Text};
    use directory_entries as d;
    let is_pg = matches!(conn, DbConn::Pg(_));
    let fts = fts_query(conn, &filter.words);
    let mut q = non_members(filtered(filter, &[], fts, is_pg), members, is_pg);
    if let Some((name, id)) = after {
        let head = if is_pg {
            "(sort_name COLLATE \"C\", id) > ("
        } else {
            "(sort_name, id) > ("
        };
        q = q.filter(
            sql::<Bool>(head)
                .bind::<Text, _>(name.to_owned())
                .sql(", ")
                .bind::<BigInt, _>(id)
                .sql(")"),
        );
    }
    let q = q.select(Entry::as_select());
    let q = if is_pg {
        q.order(sql::<Text>("sort_name COLLATE \"C\""))
            .then_order_by(d::id)
    } else {
        q.order(d::sort_name).then_order_by(d::id)
    };
    Ok(q.limit(limit).load(conn)?)
}

/// How many non-member entries matching `filter` come up to and including `at` in listing order.
pub fn listing_position(
    conn: &mut DbConn,
    filter: &Filter,
    members: &[i64],
    at: (&str, i64),
) -> StoreResult<i64> {
    use diesel::dsl::sql;
    use diesel::sql_types::{BigInt, Bool, Text};
    let is_pg = matches!(conn, DbConn::Pg(_));
    let fts = fts_query(conn, &filter.words);
    let head = if is_pg {
        "(sort_name COLLATE \"C\", id) <= ("
    } else {
        "(sort_name, id) <= ("
    };
    Ok(
        non_members(filtered(filter, &[], fts, is_pg), members, is_pg)
            .filter(
                sql::<Bool>(head)
                    .bind::<Text, _>(at.0.to_owned())
                    .sql(", ")
                    .bind::<BigInt, _>(at.1)
                    .sql(")"),
            )
            .count()
            .get_result(conn)?,
    )
}

/// The `n`th (from 0) non-member entry matching `filter` in listing order.
pub fn listing_nth(
    conn: &mut DbConn,
    filter: &Filter,
    members: &[i64],
    n: i64,
) -> StoreResult<Option<Entry>> {
    use diesel::dsl::sql;
    use diesel::sql_types::Text;
    use directory_entries as d;
    let is_pg = matches!(conn, DbConn::Pg(_));
    let fts = fts_query(conn, &filter.words);
    let q =
        non_members(filtered(filter, &[], fts, is_pg), members, is_pg).select(Entry::as_select());
    let q = if is_pg {
        q.order(sql::<Text>("sort_name COLLATE \"C\""))
            .then_order_by(d::id)
    } else {
        q.order(d::sort_name).then_order_by(d::id)
    };
    Ok(q.offset(n).limit(1).first(conn).optional()?)
}

fn non_members<'a>(q: Boxed<'a>, members: &[i64], is_pg: bool) -> Boxed<'a> {
    use diesel::dsl::sql;
    use diesel::sql_types::{BigInt, Bool};
    // On SQLite written as an expression, not a column test: `library_id IS
    // NULL` holds for nearly every row, and SQLite would otherwise read it
    // through the library_id index and sort every row instead of walking the
    // listing index. PostgreSQL is the other way round: it guesses an
    // expression keeps 0.5% of rows, so for a state it would fetch and sort
    // every outlet of the state (30 ms at 200,000) rather than walk 21 entries
    // of the state's listing index; the column test it estimates from its
    // statistics (issue #18).
    let q = if is_pg {
        q.filter(directory_entries::library_id.is_null())
    } else {
        q.filter(sql::<Bool>("coalesce(library_id, 0) = 0"))
    };
    if members.is_empty() {
        q
    } else {
        q.filter(sql::<BigInt>("coalesce(parent_id, 0)").ne_all(members.to_vec()))
    }
}

type Boxed<'a> = directory_entries::BoxedQuery<'a, crate::connection::MultiBackend>;

fn filtered<'a>(filter: &Filter, members: &[i64], fts: Option<String>, is_pg: bool) -> Boxed<'a> {
    use diesel::dsl::sql;
    use diesel::sql_types::{Bool, Text};
    use directory_entries as d;
    let mut q: Boxed<'a> = d::table.into_boxed();
    q = q.filter(d::retired_at.is_null());
    if let Some(s) = &filter.state {
        q = q.filter(d::state.eq(s.clone()));
    }
    if let Some(s) = &filter.county {
        q = q.filter(d::county.eq(s.clone()));
    }
    if let Some(s) = &filter.city {
        q = q.filter(d::city.eq(s.clone()));
    }
    if let Some(s) = &filter.zip {
        q = q.filter(d::zip.eq(s.clone()));
    }
    if let Some(s) = &filter.system {
        q = q.filter(d::system_code.eq(s.clone()));
    }
    if filter.members_only {
        // Without member entries to be branches of, no OR: the library_id index answers alone.
        q = if members.is_empty() {
            q.filter(d::library_id.is_not_null())
        } else {
            // Two IN lists on two indexes: SQLite answers the OR as a union of both.
            q.filter(
                d::id
                    .eq_any(members.to_vec())
                    .or(d::parent_id.eq_any(members.to_vec())),
            )
        };
    }
    if let Some(m) = fts {
        // The index narrows; the caller's matcher decides (word starts), so
        // both backends answer the same even where their tokenizers differ.
        q = if is_pg {
            q.filter(
                sql::<Bool>("to_tsvector('simple', search_text) @@ to_tsquery('simple', ")
                    .bind::<Text, _>(m)
                    .sql(")"),
            )
        } else {
            q.filter(
                sql::<Bool>("id IN (SELECT rowid FROM directory_fts WHERE directory_fts MATCH ")
                    .bind::<Text, _>(m)
                    .sql(")"),
            )
        };
    }
    if filter.located {
        q = q.filter(d::latitude.is_not_null().and(d::longitude.is_not_null()));
    }
    if let Some((lo, hi, lon)) = filter.bbox {
        q = q.filter(d::latitude.between(lo, hi));
        if let Some((wlo, whi)) = lon {
            q = q.filter(d::longitude.between(wlo, whi));
        }
    }
    q
}

/// The centre of the located entries with this ZIP code, and how many there are.
pub fn zip_centroid(conn: &mut DbConn, zip: &str) -> StoreResult<Option<(f64, f64)>> {
    use directory_entries as d;
    let rows: Vec<(Option<f64>, Option<f64>)> = d::table
        .filter(d::zip.eq(zip))
        .filter(d::latitude.is_not_null().and(d::longitude.is_not_null()))
        .select((d::latitude, d::longitude))
        .limit(1000)
        .load(conn)?;
    Ok(mean(rows))
}

/// The centre of the located entries in this town (its words, any case,
/// punctuation ignored: `st louis` is ST. LOUIS), optionally in one state.
pub fn town_centroid(
    conn: &mut DbConn,
    town: &str,
    state: Option<&str>,
) -> StoreResult<Option<(f64, f64)>> {
    let want = words(town);
    let filter = Filter {
        words: want.clone(),
        state: state.map(str::to_uppercase),
        located: true,
        ..Default::default()
    };
    let fts = fts_query(conn, &filter.words);
    let is_pg = matches!(conn, DbConn::Pg(_));
    let rows: Vec<Entry> = filtered(&filter, &[], fts, is_pg)
        .select(Entry::as_select())
        .limit(20_000)
        .load(conn)?;
    // A town name several states share is ambiguous without its state: the
    // state with the most outlets of that name wins, as a reader would guess.
    let mut per_state: std::collections::BTreeMap<String, Vec<Coordinates>> = Default::default();
    for e in rows.into_iter().filter(|e| words(&e.city) == want) {
        per_state
            .entry(e.state)
            .or_default()
            .push((e.latitude, e.longitude));
    }
    Ok(per_state
        .into_values()
        .max_by_key(|v| v.len())
        .and_then(mean))
}

/// A latitude and longitude, either possibly unknown.
type Coordinates = (Option<f64>, Option<f64>);

fn mean(rows: Vec<Coordinates>) -> Option<(f64, f64)> {
    let pts: Vec<(f64, f64)> = rows
        .into_iter()
        .filter_map(|(a, b)| Some((a?, b?)))
        .collect();
    if pts.is_empty() {
        return None;
    }
    let n = pts.len() as f64;
    Some((
        pts.iter().map(|p| p.0).sum::<f64>() / n,
        pts.iter().map(|p| p.1).sum::<f64>() / n,
    ))
}

/// Retires an entry (version `current + 1`, recorded in its history); `Conflict` if it changed meanwhile.
pub fn retire(
    conn: &mut DbConn,
    id: i64,
    current: i64,
    snapshot: &str,
    now: NaiveDateTime,
) -> StoreResult<i64> {
    use directory_entries as d;
    let next = current + 1;
    let n = diesel::update(d::table.filter(d::id.eq(id)).filter(d::version.eq(current)))
        .set((
            d::retired_at.eq(Some(now)),
            d::curated.eq(true),
            d::version.eq(next),
            d::updated_at.eq(now),
        ))
        .execute(conn)?;
    if n == 0 {
        return Err(StoreError::Conflict("directory_entries.version".into()));
    }
    record_version(conn, id, next, "retired", None, snapshot, now)?;
    Ok(next)
}

/// Marks an entry as the director's: a later import leaves it alone. Its
/// parent (a member library's entry makes it that member's branch) is set too.
pub fn curate(conn: &mut DbConn, id: i64, parent: Option<i64>) -> StoreResult<()> {
    use directory_entries as d;
    diesel::update(d::table.filter(d::id.eq(id)))
        .set((d::curated.eq(true), d::parent_id.eq(parent)))
        .execute(conn)?;
    Ok(())
}

/// One entry by id.
pub fn by_id(conn: &mut DbConn, id: i64) -> StoreResult<Entry> {
    Ok(directory_entries::table
        .find(id)
        .select(Entry::as_select())
        .first(conn)?)
}

/// The entry linked to a member library, if there is one.
pub fn by_library(conn: &mut DbConn, library: LibraryId) -> StoreResult<Option<Entry>> {
    Ok(directory_entries::table
        .filter(directory_entries::library_id.eq(library.0))
        .select(Entry::as_select())
        .first(conn)
        .optional()?)
}

/// The entry of a member library, created from its name if it has none yet:
/// every member library is in the directory from its first day. The flag
/// says whether it was created now.
pub fn ensure_for_library(
    conn: &mut DbConn,
    library: LibraryId,
    name: &str,
    now: NaiveDateTime,
) -> StoreResult<(Entry, bool)> {
    if let Some(e) = by_library(conn, library)? {
        return Ok((e, false));
    }
    let fields = EntryFields {
        name: name.to_owned(),
        ..Default::default()
    };
    let origin = Origin {
        library_id: Some(library),
        ..Default::default()
    };
    let snapshot = serde_json::to_string(&fields).unwrap_or_else(|_| "{}".into());
    let id = insert(conn, &origin, &fields, "created", &snapshot, now)?;
    Ok((by_id(conn, id)?, true))
}

/// The slug of the member library `entry` belongs to, if it belongs to one.
pub fn member_slug(conn: &mut DbConn, entry: &Entry) -> StoreResult<Option<String>> {
    match entry.library_id {
        None => Ok(None),
        Some(id) => match crate::libraries::by_id(conn, LibraryId(id)) {
            Ok(l) => Ok(Some(l.slug)),
            Err(StoreError::NotFound) => Ok(None),
            Err(e) => Err(e),
        },
    }
}

/// Every entry that came from an import, keyed by nothing in particular (the caller maps them).
pub fn imported(conn: &mut DbConn) -> StoreResult<Vec<Entry>> {
    Ok(directory_entries::table
        .filter(directory_entries::source_key.is_not_null())
        .select(Entry::as_select())
        .order(directory_entries::id)
        .load(conn)?)
}

/// Tells PostgreSQL's counting trigger to stand aside for the rest of this
/// transaction (a bulk import): updating the same count row once per row
/// would leave a dead version of it per row. [`recount`] must follow in the
/// same transaction. SQLite, without row versions, keeps counting.
pub fn begin_bulk(conn: &mut DbConn) -> StoreResult<()> {
    if let DbConn::Pg(c) = conn {
        diesel::sql_query("SET LOCAL custodian.directory_bulk = 'on'").execute(c)?;
    }
    Ok(())
}

/// Counts the listed entries again, over all and per state (after [`begin_bulk`]).
pub fn recount(conn: &mut DbConn) -> StoreResult<()> {
    use diesel::connection::SimpleConnection;
    conn.batch_execute(
        "DELETE FROM directory_counts; \
         INSERT INTO directory_counts (state, listed) \
             SELECT '*', count(*) FROM directory_entries WHERE retired_at IS NULL; \
         INSERT INTO directory_counts (state, listed) \
             SELECT state, count(*) FROM directory_entries WHERE retired_at IS NULL GROUP BY state;",
    )?;
    Ok(())
}

/// Refreshes the planner's statistics after a bulk load (PostgreSQL; SQLite
/// plans the directory's queries from its indexes alone).
pub fn analyze(conn: &mut DbConn) -> StoreResult<()> {
    if let DbConn::Pg(c) = conn {
        diesel::sql_query("ANALYZE directory_entries").execute(c)?;
    }
    Ok(())
}

/// How many entries there are.
pub fn count(conn: &mut DbConn) -> StoreResult<i64> {
    Ok(directory_entries::table.count().get_result(conn)?)
}

fn last_insert_id(conn: &mut DbConn) -> StoreResult<i64> {
    use diesel::sql_types::BigInt;
    #[derive(QueryableByName)]
    struct Id {
        #[diesel(sql_type = BigInt)]
        id: i64,
    }
    let row: Id = match conn {
        DbConn::Pg(c) => diesel::sql_query("SELECT lastval() AS id").get_result(c)?,
        DbConn::Sqlite(c) => diesel::sql_query("SELECT last_insert_rowid() AS id").get_result(c)?,
    };
    Ok(row.id)
}

/// Where a new entry comes from and how it links.
#[derive(Debug, Clone, Default)]
pub struct Origin<'a> {
    /// The member library it belongs to.
    pub library_id: Option<LibraryId>,
    /// The system it is an outlet of.
    pub parent_id: Option<i64>,
    /// The source data's system code.
    pub system_code: Option<&'a str>,
    /// The import's natural key.
    pub source_key: Option<&'a str>,
}

/// Adds an entry and its first version; `snapshot` is the fields as the history shows them.
pub fn insert(
    conn: &mut DbConn,
    origin: &Origin<'_>,
    fields: &EntryFields,
    source: &str,
    snapshot: &str,
    now: NaiveDateTime,
) -> StoreResult<i64> {
    use directory_entries as d;
    diesel::insert_into(d::table)
        .values((
            fields,
            d::library_id.eq(origin.library_id.map(|l| l.0)),
            d::parent_id.eq(origin.parent_id),
            d::system_code.eq(origin.system_code),
            d::source_key.eq(origin.source_key),
            d::search_text.eq(search_text(fields)),
            d::sort_name.eq(fields.name.to_lowercase()),
            d::version.eq(1i64),
            d::updated_at.eq(now),
        ))
        .execute(conn)?;
    let id = last_insert_id(conn)?;
    record_version(conn, id, 1, source, None, snapshot, now)?;
    Ok(id)
}

fn record_version(
    conn: &mut DbConn,
    entry: i64,
    version: i64,
    source: &str,
    change: Option<i64>,
    snapshot: &str,
    now: NaiveDateTime,
) -> StoreResult<()> {
    use directory_history as h;
    diesel::insert_into(h::table)
        .values((
            h::entry_id.eq(entry),
            h::version.eq(version),
            h::changed_at.eq(now),
            h::source.eq(source),
            h::change_id.eq(change),
            h::snapshot.eq(snapshot),
        ))
        .execute(conn)?;
    Ok(())
}

/// Replaces an entry's fields as version `current + 1` and records that version.
///
/// Fails with `Conflict` if the entry is no longer at `current` (a concurrent
/// change), so a version is never lost.
#[allow(clippy::too_many_arguments)]
pub fn update(
    conn: &mut DbConn,
    id: i64,
    current: i64,
    fields: &EntryFields,
    source: &str,
    change: Option<i64>,
    snapshot: &str,
    now: NaiveDateTime,
) -> StoreResult<i64> {
    use directory_entries as d;
    let next = current + 1;
    let n = diesel::update(d::table.filter(d::id.eq(id)).filter(d::version.eq(current)))
        .set((
            fields,
            d::search_text.eq(search_text(fields)),
            d::sort_name.eq(fields.name.to_lowercase()),
            d::version.eq(next),
            d::updated_at.eq(now),
        ))
        .execute(conn)?;
    if n == 0 {
        return Err(StoreError::Conflict("directory_entries.version".into()));
    }
    record_version(conn, id, next, source, change, snapshot, now)?;
    Ok(next)
}

/// A submitted change and its decision.
#[derive(Debug, Clone, Queryable, Selectable, Serialize)]
#[diesel(table_name = directory_changes)]
pub struct Change {
    /// Its id.
    pub id: i64,
    /// The entry it changes.
    pub entry_id: i64,
    /// The library that submitted it.
    pub library_id: i64,
    /// The admin who submitted it.
    pub submitted_by: i64,
    /// When.
    #[serde(with = "crate::time::rfc3339")]
    pub submitted_at: NaiveDateTime,
    /// The proposed fields, as JSON.
    pub patch: String,
    /// pending, approved or rejected.
    pub status: String,
    /// The director who decided.
    pub decided_by: Option<i64>,
    /// When it was decided.
    #[serde(default, with = "crate::time::rfc3339_option")]
    pub decided_at: Option<NaiveDateTime>,
    /// The director's reason.
    pub reason: Option<String>,
}

/// Records a pending change and returns its id.
pub fn submit(
    conn: &mut DbConn,
    entry: i64,
    library: LibraryId,
    by: AccountId,
    patch: &str,
    now: NaiveDateTime,
) -> StoreResult<i64> {
    use directory_changes as c;
    diesel::insert_into(c::table)
        .values((
            c::entry_id.eq(entry),
            c::library_id.eq(library.0),
            c::submitted_by.eq(by.0),
            c::submitted_at.eq(now),
            c::patch.eq(patch),
            c::status.eq("pending"),
        ))
        .execute(conn)?;
    last_insert_id(conn)
}

/// One change by id.
pub fn change(conn: &mut DbConn, id: i64) -> StoreResult<Change> {
    Ok(directory_changes::table
        .find(id)
        .select(Change::as_select())
        .first(conn)?)
}

/// Changes in id order after `after`, optionally of one status or one entry.
pub fn changes(
    conn: &mut DbConn,
    status: Option<&str>,
    entry: Option<i64>,
    after: Option<i64>,
    limit: i64,
) -> StoreResult<Vec<Change>> {
    use directory_changes as c;
    let mut q = c::table.select(Change::as_select()).into_boxed();
    if let Some(s) = status {
        q = q.filter(c::status.eq(s.to_owned()));
    }
    if let Some(e) = entry {
        q = q.filter(c::entry_id.eq(e));
    }
    if let Some(a) = after {
        q = q.filter(c::id.gt(a));
    }
    Ok(q.order(c::id).limit(limit).load(conn)?)
}

/// Records the decision on a pending change; `Conflict` if it was already decided.
pub fn decide(
    conn: &mut DbConn,
    id: i64,
    status: &str,
    by: AccountId,
    reason: Option<&str>,
    now: NaiveDateTime,
) -> StoreResult<()> {
    use directory_changes as c;
    let n = diesel::update(
        c::table
            .filter(c::id.eq(id))
            .filter(c::status.eq("pending")),
    )
    .set((
        c::status.eq(status),
        c::decided_by.eq(Some(by.0)),
        c::decided_at.eq(Some(now)),
        c::reason.eq(reason),
    ))
    .execute(conn)?;
    if n == 0 {
        return Err(StoreError::Conflict("directory_changes.status".into()));
    }
    Ok(())
}

/// A published version of an entry.
#[derive(Debug, Clone, Queryable, Selectable, Serialize)]
#[diesel(table_name = directory_history)]
pub struct Version {
    /// Row id.
    pub id: i64,
    /// The entry.
    pub entry_id: i64,
    /// Its version number.
    pub version: i64,
    /// When it was published.
    #[serde(with = "crate::time::rfc3339")]
    pub changed_at: NaiveDateTime,
    /// import, created or change.
    pub source: String,
    /// The approved change that made it, if any.
    pub change_id: Option<i64>,
    /// The fields of this version, as JSON.
    pub snapshot: String,
}

/// Every version of an entry, oldest first.
pub fn history(conn: &mut DbConn, entry: i64) -> StoreResult<Vec<Version>> {
    use directory_history as h;
    Ok(h::table
        .filter(h::entry_id.eq(entry))
        .select(Version::as_select())
        .order(h::version)
        .load(conn)?)
}

/// Which member libraries publish `email` as their directory contact (case ignored).
pub fn libraries_with_contact(conn: &mut DbConn, email: &str) -> StoreResult<Vec<LibraryId>> {
    let wanted = email.trim().to_lowercase();
    // Directory addresses are few and published; compare them in process
    // rather than rely on a case-insensitive operator both backends share.
    let rows: Vec<(i64, String)> = directory_entries::table
        .filter(directory_entries::library_id.is_not_null())
        .filter(directory_entries::email.is_not_null())
        .select((
            directory_entries::library_id.assume_not_null(),
            directory_entries::email.assume_not_null(),
        ))
        .load(conn)?;
    let mut ids: Vec<LibraryId> = rows
        .into_iter()
        .filter(|(_, e)| e.trim().to_lowercase() == wanted)
        .map(|(id, _)| LibraryId(id))
        .collect();
    ids.sort();
    ids.dedup();
    Ok(ids)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn search_text_is_lower_case_words_between_spaces() {
        let f = EntryFields {
            name: "MUÑOZ Public-Library".into(),
            city: "San Juan".into(),
            state: "PR".into(),
            zip: "00725".into(),
            ..Default::default()
        };
        assert_eq!(search_text(&f), " muñoz public library san juan pr 00725 ");
    }
}
