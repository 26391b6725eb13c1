//! Changes to an entry: submitted by the library's admin, approved or rejected
//! by the director with a reason, published at once on approval, and every
//! version kept. All functions here block; [`crate::Directory`] wraps them and
//! invalidates the cache after they commit.

use crate::hours::OpeningHours;
use crate::import::snapshot;
use crate::search::Item;
use crate::{DirectoryError, DirectoryResult};
use serde::{Deserialize, Serialize};
use store::directory::{self as sd, Change, Entry, EntryFields};
use store::libraries::Library;
use store::{Access, AccountId, Store};

/// The fields a library admin proposes; absent fields stay as they are and an
/// empty string clears an optional one.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
// The schema says what `validate` checks field by field, within the lengths
// custodian's input check allows too; a null is no change, so the document
// takes none. What spans two fields (latitude with longitude, a day's hours)
// only `validate` says.
#[schema(min_properties = 1)]
pub struct Patch {
    /// Name.
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schema(
        max_length = 200,
        min_length = 1,
        pattern = "^[^\\u0000-\\u0009\\u000b-\\u001f\\u007f-\\u009f]*[^\\s\\u0000-\\u001f\\u007f-\\u009f][^\\u0000-\\u0009\\u000b-\\u001f\\u007f-\\u009f]*$"
    )]
    pub name: Option<String>,
    /// Street address.
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schema(
        max_length = 200,
        pattern = "^[^\\u0000-\\u0009\\u000b-\\u001f\\u007f-\\u009f]*$"
    )]
    pub address: Option<String>,
    /// City.
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schema(
        max_length = 100,
        pattern = "^[^\\u0000-\\u0009\\u000b-\\u001f\\u007f-\\u009f]*$"
    )]
    pub city: Option<String>,
    /// County.
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schema(
        max_length = 100,
        pattern = "^[^\\u0000-\\u0009\\u000b-\\u001f\\u007f-\\u009f]*$"
    )]
    pub county: Option<String>,
    /// Two-letter state code.
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schema(pattern = "^([A-Za-z]{2})?$")]
    pub state: Option<String>,
    /// Five-digit ZIP code.
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schema(pattern = "^([0-9]{5})?$")]
    pub zip: Option<String>,
    /// Public telephone.
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schema(max_length = 40, pattern = "^[0-9 ()+.x-]*$")]
    pub phone: Option<String>,
    /// Web site (http or https).
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schema(
        max_length = 500,
        pattern = "^(https?://[^\\s\\u0000-\\u001f\\u007f-\\u009f]*)?$"
    )]
    pub website: Option<String>,
    /// The organization's public email (not a person's).
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schema(
        max_length = 254,
        pattern = "^([^@\\s\\u0000-\\u001f\\u007f-\\u009f]+@[^@\\s\\u0000-\\u001f\\u007f-\\u009f]*\\.[^@\\s\\u0000-\\u001f\\u007f-\\u009f]*)?$"
    )]
    pub email: Option<String>,
    /// Opening hours.
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schema(
        max_length = 1000,
        pattern = "^[^\\u0000-\\u0009\\u000b-\\u001f\\u007f-\\u009f]*$"
    )]
    pub hours: Option<String>,
    /// Services.
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schema(
        max_length = 2000,
        pattern = "^[^\\u0000-\\u0009\\u000b-\\u001f\\u007f-\\u009f]*$"
    )]
    pub services: Option<String>,
    /// Latitude in degrees.
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schema(minimum = -90, maximum = 90)]
    pub latitude: Option<f64>,
    /// Longitude in degrees.
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schema(minimum = -180, maximum = 180)]
    pub longitude: Option<f64>,
    /// Opening hours as data; an empty object clears them.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub opening_hours: Option<OpeningHours>,
    /// Services from the vocabulary (`hours::SERVICES` codes); empty clears them.
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schema(schema_with = service_tags)]
    pub service_tags: Option<Vec<String>>,
}

/// `service_tags`' schema: codes from [`crate::hours::SERVICES`].
fn service_tags() -> utoipa::openapi::Array {
    use utoipa::openapi::schema::{ArrayBuilder, ObjectBuilder, Type};
    ArrayBuilder::new()
        .items(
            ObjectBuilder::new()
                .schema_type(Type::String)
                .enum_values(Some(crate::hours::SERVICES.iter().map(|(code, _)| *code))),
        )
        .description(Some("Services from the vocabulary; empty clears them."))
        .build()
}

fn check_len(field: &str, v: &Option<String>, max: usize) -> DirectoryResult<()> {
    match v {
        Some(s) if s.chars().count() > max => Err(DirectoryError::invalid(
            field,
            format!("{field} may have at most {max} characters"),
        )),
        Some(s) if s.chars().any(|c| c.is_control() && c != '\n') => Err(DirectoryError::invalid(
            field,
            format!("{field} may not contain control characters"),
        )),
        _ => Ok(()),
    }
}

impl Patch {
    /// Checks every field, naming the first that is wrong.
    pub fn validate(&self) -> DirectoryResult<()> {
        if *self == Patch::default() {
            return Err(DirectoryError::invalid(
                "body",
                "name at least one field to change",
            ));
        }
        for (f, v, max) in [
            ("name", &self.name, 200),
            ("address", &self.address, 300),
            ("city", &self.city, 100),
            ("county", &self.county, 100),
            ("phone", &self.phone, 40),
            ("website", &self.website, 500),
            ("email", &self.email, 254),
            ("hours", &self.hours, 1000),
            ("services", &self.services, 2000),
        ] {
            check_len(f, v, max)?;
        }
        if matches!(&self.name, Some(n) if n.trim().is_empty()) {
            return Err(DirectoryError::invalid("name", "name may not be empty"));
        }
        if let Some(s) = &self.state {
            if !(s.is_empty() || (s.len() == 2 && s.chars().all(|c| c.is_ascii_alphabetic()))) {
                return Err(DirectoryError::invalid(
                    "state",
                    "state must be a two-letter code such as MO",
                ));
            }
        }
        if let Some(z) = &self.zip {
            if !(z.is_empty() || (z.len() == 5 && z.chars().all(|c| c.is_ascii_digit()))) {
                return Err(DirectoryError::invalid("zip", "zip must be five digits"));
            }
        }
        if let Some(p) = &self.phone {
            if !p
                .chars()
                .all(|c| c.is_ascii_digit() || " ()+-.x".contains(c))
            {
                return Err(DirectoryError::invalid(
                    "phone",
                    "phone may contain digits, spaces and ( ) + - . x",
                ));
            }
        }
        if let Some(w) = &self.website {
            if !w.is_empty()
                && (!(w.starts_with("https://") || w.starts_with("http://"))
                    || w.chars().any(char::is_whitespace))
            {
                return Err(DirectoryError::invalid(
                    "website",
                    "website must be an http:// or https:// address",
                ));
            }
        }
        if let Some(e) = &self.email {
            let ok = e.is_empty()
                || matches!(e.split_once('@'), Some((l, d)) if !l.is_empty() && d.contains('.') && !d.contains('@'))
                    && !e.chars().any(char::is_whitespace);
            if !ok {
                return Err(DirectoryError::invalid(
                    "email",
                    "email must be an address such as info@library.org",
                ));
            }
        }
        if let Some(h) = &self.opening_hours {
            h.validate()?;
        }
        if let Some(t) = &self.service_tags {
            crate::hours::services(t)?;
        }
        match (self.latitude, self.longitude) {
            (Some(la), Some(lo)) => {
                if !(-90.0..=90.0).contains(&la) {
                    return Err(DirectoryError::invalid(
                        "latitude",
                        "latitude must be from -90 to 90",
                    ));
                }
                if !(-180.0..=180.0).contains(&lo) {
                    return Err(DirectoryError::invalid(
                        "longitude",
                        "longitude must be from -180 to 180",
                    ));
                }
            }
            (None, None) => {}
            (Some(_), None) => {
                return Err(DirectoryError::invalid(
                    "longitude",
                    "give latitude and longitude together",
                ))
            }
            (None, Some(_)) => {
                return Err(DirectoryError::invalid(
                    "latitude",
                    "give latitude and longitude together",
                ))
            }
        }
        Ok(())
    }

    /// The fields after this patch.
    pub fn apply(&self, base: &EntryFields) -> EntryFields {
        let mut f = base.clone();
        let set = |target: &mut String, v: &Option<String>| {
            if let Some(v) = v {
                *target = v.trim().to_owned();
            }
        };
        let opt = |target: &mut Option<String>, v: &Option<String>| {
            if let Some(v) = v {
                *target = Some(v.trim().to_owned()).filter(|s| !s.is_empty());
            }
        };
        set(&mut f.name, &self.name);
        set(&mut f.street, &self.address);
        set(&mut f.city, &self.city);
        set(&mut f.county, &self.county);
        set(
            &mut f.state,
            &self.state.as_ref().map(|s| s.to_ascii_uppercase()),
        );
        set(&mut f.zip, &self.zip);
        opt(&mut f.phone, &self.phone);
        opt(&mut f.website, &self.website);
        opt(&mut f.email, &self.email);
        opt(&mut f.hours, &self.hours);
        opt(&mut f.services, &self.services);
        if let (Some(la), Some(lo)) = (self.latitude, self.longitude) {
            f.latitude = Some(la);
            f.longitude = Some(lo);
        }
        if let Some(h) = &self.opening_hours {
            f.opening_hours = (*h != OpeningHours::default())
                .then(|| serde_json::to_string(h).unwrap_or_default());
        }
        if let Some(t) = &self.service_tags {
            f.service_tags = crate::hours::services(t).unwrap_or_default().join(",");
        }
        f
    }
}

/// A change as the API shows it.
#[derive(Debug, Clone, Serialize)]
pub struct ChangeView {
    /// Its id.
    pub id: i64,
    /// The entry it changes.
    pub entry_id: i64,
    /// The library that submitted it.
    pub library_id: i64,
    /// The admin's account id.
    pub submitted_by: i64,
    /// When.
    #[serde(with = "store::time::rfc3339")]
    pub submitted_at: chrono::NaiveDateTime,
    /// The proposed fields.
    pub changes: serde_json::Value,
    /// pending, approved or rejected.
    pub status: String,
    /// The director's account id.
    pub decided_by: Option<i64>,
    /// When it was decided.
    #[serde(default, with = "store::time::rfc3339_option")]
    pub decided_at: Option<chrono::NaiveDateTime>,
    /// The director's reason.
    pub reason: Option<String>,
}

impl From<Change> for ChangeView {
    fn from(c: Change) -> Self {
        ChangeView {
            id: c.id,
            entry_id: c.entry_id,
            library_id: c.library_id,
            submitted_by: c.submitted_by,
            submitted_at: c.submitted_at,
            changes: serde_json::from_str(&c.patch).unwrap_or(serde_json::Value::Null),
            status: c.status,
            decided_by: c.decided_by,
            decided_at: c.decided_at,
            reason: c.reason,
        }
    }
}

/// A library's own entry with its pending changes.
#[derive(Debug, Clone, Serialize)]
pub struct OwnEntry {
    /// The entry as published.
    pub entry: Item,
    /// Its version.
    pub version: i64,
    /// Changes not yet decided.
    pub pending: Vec<ChangeView>,
}

/// The entry of a member library, created from the library's name on first use
/// so every member library has one to change.
/// The flag says whether it was created now (and the public lists changed).
pub fn entry_for_library(store: &Store, library: &Library) -> DirectoryResult<(OwnEntry, bool)> {
    store.consortium(Access::Write, |c| -> DirectoryResult<_> {
        let (entry, created) =
            sd::ensure_for_library(c, library.id, &library.name, chrono::Utc::now().naive_utc())?;
        let pending = sd::changes(c, Some("pending"), Some(entry.id), None, 100)?
            .into_iter()
            .map(ChangeView::from)
            .collect();
        let own = OwnEntry {
            entry: Item::from_entry(&entry, None),
            version: entry.version,
            pending,
        };
        Ok((own, created))
    })
}

/// Records a change for the director; returns it, and whether the entry was created for it.
pub fn submit(
    store: &Store,
    library: &Library,
    by: AccountId,
    patch: &Patch,
) -> DirectoryResult<(ChangeView, bool)> {
    patch.validate()?;
    let (own, created) = entry_for_library(store, library)?;
    let json = serde_json::to_string(patch)
        .map_err(|e| DirectoryError::Internal(format!("patch: {e}")))?;
    let change = store.consortium(Access::Write, |c| -> DirectoryResult<_> {
        let id = sd::submit(
            c,
            own.entry.id,
            library.id,
            by,
            &json,
            chrono::Utc::now().naive_utc(),
        )?;
        Ok(sd::change(c, id)?)
    })?;
    Ok((change.into(), created))
}

/// Approves a pending change and publishes it at once.
pub fn approve(
    store: &Store,
    change: i64,
    by: AccountId,
    reason: Option<&str>,
) -> DirectoryResult<ChangeView> {
    store.consortium(Access::Write, |c| -> DirectoryResult<_> {
        let ch = sd::change(c, change)?;
        if ch.status != "pending" {
            return Err(DirectoryError::Conflict(format!(
                "change {change} was already {}",
                ch.status
            )));
        }
        let patch: Patch = serde_json::from_str(&ch.patch)
            .map_err(|e| DirectoryError::Internal(format!("stored patch: {e}")))?;
        let entry: Entry = sd::by_id(c, ch.entry_id)?;
        let fields = patch.apply(&entry.fields());
        let now = chrono::Utc::now().naive_utc();
        sd::update(
            c,
            entry.id,
            entry.version,
            &fields,
            "change",
            Some(ch.id),
            &snapshot(&fields),
            now,
        )?;
        sd::decide(c, ch.id, "approved", by, reason, now)?;
        Ok(sd::change(c, ch.id)?.into())
    })
}

/// Rejects a pending change with the director's reason.
pub fn reject(
    store: &Store,
    change: i64,
    by: AccountId,
    reason: &str,
) -> DirectoryResult<ChangeView> {
    if reason.trim().is_empty() {
        return Err(DirectoryError::invalid(
            "reason",
            "a rejection needs a reason the library admin can act on",
        ));
    }
    store.consortium(Access::Write, |c| -> DirectoryResult<_> {
        let ch = sd::change(c, change)?;
        if ch.status != "pending" {
            return Err(DirectoryError::Conflict(format!(
                "change {change} was already {}",
                ch.status
            )));
        }
        sd::decide(
            c,
            ch.id,
            "rejected",
            by,
            Some(reason.trim()),
            chrono::Utc::now().naive_utc(),
        )?;
        Ok(sd::change(c, ch.id)?.into())
    })
}

/// The director's own edit of any entry, imported ones included: published at
/// once as a new version (source `director`), and the entry kept from later
/// imports. `version` is the version the director saw.
pub fn director_edit(
    store: &Store,
    id: i64,
    version: Option<i64>,
    patch: &Patch,
) -> DirectoryResult<Item> {
    patch.validate()?;
    store.consortium(Access::Write, |c| -> DirectoryResult<_> {
        let entry = sd::by_id(c, id)?;
        check_version(&entry, version)?;
        if entry.retired_at.is_some() {
            return Err(DirectoryError::Conflict(format!("entry {id} is retired")));
        }
        let fields = patch.apply(&entry.fields());
        let now = chrono::Utc::now().naive_utc();
        sd::update(
            c,
            id,
            entry.version,
            &fields,
            "director",
            None,
            &snapshot(&fields),
            now,
        )?;
        sd::curate(c, id, entry.parent_id)?;
        Ok(Item::from_entry(&sd::by_id(c, id)?, None))
    })
}

fn check_version(entry: &Entry, version: Option<i64>) -> DirectoryResult<()> {
    match version {
        Some(v) if v != entry.version => Err(DirectoryError::Conflict(format!(
            "entry {} is at version {}, not {v}: reload it and try again",
            entry.id, entry.version
        ))),
        _ => Ok(()),
    }
}

/// The director retires an entry (a closed outlet): it leaves every list and
/// export, keeps its page (saying so) and its history, and later imports
/// leave it alone.
pub fn retire(store: &Store, id: i64, version: Option<i64>, reason: &str) -> DirectoryResult<()> {
    let reason = reason.trim();
    if reason.is_empty() {
        return Err(DirectoryError::invalid(
            "reason",
            "say why the entry is retired (closed, merged, duplicate)",
        ));
    }
    if reason.chars().count() > 1000 {
        return Err(DirectoryError::invalid(
            "reason",
            "reason may have at most 1000 characters",
        ));
    }
    store.consortium(Access::Write, |c| -> DirectoryResult<_> {
        let entry = sd::by_id(c, id)?;
        check_version(&entry, version)?;
        if entry.retired_at.is_some() {
            return Err(DirectoryError::Conflict(format!(
                "entry {id} is already retired"
            )));
        }
        let snap = serde_json::json!({"retired": true, "reason": reason}).to_string();
        sd::retire(c, id, entry.version, &snap, chrono::Utc::now().naive_utc())?;
        Ok(())
    })
}

/// Changes for the director, oldest first.
pub fn list(
    store: &Store,
    status: Option<&str>,
    after: Option<i64>,
    limit: i64,
) -> DirectoryResult<Vec<ChangeView>> {
    Ok(store
        .consortium(Access::Read, |c| sd::changes(c, status, None, after, limit))?
        .into_iter()
        .map(ChangeView::from)
        .collect())
}

/// One published version.
#[derive(Debug, Clone, Serialize)]
pub struct VersionView {
    /// Version number.
    pub version: i64,
    /// When it was published.
    #[serde(with = "store::time::rfc3339")]
    pub changed_at: chrono::NaiveDateTime,
    /// import, created or change.
    pub source: String,
    /// The approved change that made it.
    pub change_id: Option<i64>,
    /// The fields of this version.
    pub fields: serde_json::Value,
}

/// An entry's whole history, for the director.
#[derive(Debug, Clone, Serialize)]
pub struct History {
    /// The entry as published now.
    pub entry: Item,
    /// Every version, oldest first.
    pub versions: Vec<VersionView>,
    /// Every change submitted, with its decision.
    pub changes: Vec<ChangeView>,
    /// The entry's version now: an edit names it, so a concurrent one is refused.
    pub version: i64,
    /// When the director retired it, or null while it is listed.
    #[serde(with = "store::time::rfc3339_option")]
    pub retired_at: Option<chrono::NaiveDateTime>,
}

/// The history of entry `id`.
pub fn history(store: &Store, id: i64) -> DirectoryResult<History> {
    store.consortium(Access::Read, |c| -> DirectoryResult<_> {
        let entry = sd::by_id(c, id)?;
        let versions = sd::history(c, id)?
            .into_iter()
            .map(|v| VersionView {
                version: v.version,
                changed_at: v.changed_at,
                source: v.source,
                change_id: v.change_id,
                fields: serde_json::from_str(&v.snapshot).unwrap_or(serde_json::Value::Null),
            })
            .collect();
        let changes = sd::changes(c, None, Some(id), None, 10_000)?
            .into_iter()
            .map(ChangeView::from)
            .collect();
        Ok(History {
            entry: Item::from_entry(&entry, None),
            versions,
            changes,
            version: entry.version,
            retired_at: entry.retired_at,
        })
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn patches_are_checked_field_by_field() {
        let bad = |p: Patch, field: &str| match p.validate() {
            Err(DirectoryError::Invalid { field: f, .. }) => assert_eq!(f, field),
            other => panic!("{field}: {other:?}"),
        };
        bad(Patch::default(), "body");
        bad(
            Patch {
                state: Some("Missouri".into()),
                ..Default::default()
            },
            "state",
        );
        bad(
            Patch {
                website: Some("javascript:alert(1)".into()),
                ..Default::default()
            },
            "website",
        );
        bad(
            Patch {
                email: Some("nobody".into()),
                ..Default::default()
            },
            "email",
        );
        bad(
            Patch {
                latitude: Some(1.0),
                ..Default::default()
            },
            "longitude",
        );
        let ok = Patch {
            hours: Some("Mon–Fri 9–5".into()),
            phone: Some("".into()),
            state: Some("mo".into()),
            ..Default::default()
        };
        ok.validate().unwrap();
        let base = EntryFields {
            name: "X".into(),
            phone: Some("1".into()),
            ..Default::default()
        };
        let f = ok.apply(&base);
        assert_eq!(
            (f.phone, f.state.as_str(), f.hours.as_deref()),
            (None, "MO", Some("Mon–Fri 9–5"))
        );
    }
}
