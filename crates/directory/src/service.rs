//! The directory as the web application uses it: cached reads, and writes that
//! invalidate what they change once they have committed.

use crate::cache::Cache;
use crate::moderation::{self, ChangeView, History, OwnEntry, Patch};
use crate::search::{self, Item, Page, Query, RawQuery};
use crate::{export, DirectoryError, DirectoryResult};
use bytes::Bytes;
use serde::{Deserialize, Serialize};
use std::sync::Arc;
use store::directory as sd;
use store::libraries::Library;
use store::{Access, AccountId, Store};

/// The generation every list and export is keyed on.
const ALL: &str = "all";

/// The cache key of a search page under its query string as received.
fn raw_key(gen: u64, qs: &str) -> String {
    format!("search:{gen}:raw:{qs}")
}

/// One library in full.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, utoipa::ToSchema)]
#[schema(as = DirectoryEntry)]
pub struct Detail {
    /// The public fields.
    #[serde(flatten)]
    pub item: Item,
    /// Incremented by every published change.
    pub version: i64,
    /// When it last changed.
    #[serde(with = "store::time::rfc3339")]
    pub updated_at: chrono::NaiveDateTime,
    /// The slug of the member library the entry belongs to, if it belongs to
    /// one: its page links to that library's public list of vendors.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schema(nullable = false)]
    pub member_library: Option<String>,
    /// When the director retired it (it is no longer listed), or null.
    #[serde(default, with = "store::time::rfc3339_option")]
    pub retired_at: Option<chrono::NaiveDateTime>,
}

/// A result-set export format.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Format {
    /// Comma-separated values with a header row.
    Csv,
    /// A schema.org JSON-LD graph.
    JsonLd,
}

/// The directory service: the store, the cache and the public base URL.
#[derive(Clone)]
pub struct Directory {
    store: Store,
    cache: Arc<Cache>,
    base: String,
}

fn json<T: Serialize>(v: &T) -> DirectoryResult<Vec<u8>> {
    serde_json::to_vec(v).map_err(|e| DirectoryError::Internal(format!("json: {e}")))
}

/// An answer as it is cached: its ETag, then a new line, then the body, so
/// a cached read hashes nothing and copies nothing.
fn tagged(body: Vec<u8>) -> Vec<u8> {
    let mut out = etag_of(&body).into_bytes();
    out.push(b'\n');
    out.extend_from_slice(&body);
    out
}

/// The weak ETag of a body.
pub fn etag_of(body: &[u8]) -> String {
    use sha2::Digest;
    format!("W/\"{}\"", hex::encode(&sha2::Sha256::digest(body)[..16]))
}

/// A cached answer: its ETag and its body (a view of the cached bytes).
#[derive(Debug, Clone)]
pub struct Tagged {
    /// The weak ETag, quoted.
    pub etag: String,
    /// The body.
    pub body: Bytes,
}

fn untag(b: Bytes) -> Tagged {
    // An answer cached before ETags were kept with it has no `W/"` head.
    match b
        .starts_with(b"W/\"")
        .then(|| b.iter().position(|c| *c == b'\n'))
        .flatten()
    {
        Some(i) => Tagged {
            etag: String::from_utf8_lossy(&b[..i]).into_owned(),
            body: b.slice(i + 1..),
        },
        None => Tagged {
            etag: etag_of(&b),
            body: b,
        },
    }
}

async fn blocking<T, F>(f: F) -> DirectoryResult<T>
where
    F: FnOnce() -> DirectoryResult<T> + Send + 'static,
    T: Send + 'static,
{
    tokio::task::spawn_blocking(f)
        .await
        .map_err(|e| DirectoryError::Internal(format!("blocking task: {e}")))?
}

impl Directory {
    /// A service over `store` with `cache`; `base` prefixes the URLs in exports.
    pub fn new(store: Store, cache: Arc<Cache>, base: &str) -> Self {
        Directory {
            store,
            cache,
            base: base.trim_end_matches('/').to_owned(),
        }
    }

    /// The cache, for tests and metrics.
    pub fn cache(&self) -> &Cache {
        &self.cache
    }

    /// The public URL prefix used in exports.
    pub fn base(&self) -> &str {
        &self.base
    }

    /// One page of a search as JSON with its ETag, from the cache when it can.
    pub async fn search_tagged(&self, raw: &RawQuery) -> DirectoryResult<(Query, Tagged)> {
        let query = raw.parse()?;
        let gen = self.cache.generation(ALL).await;
        let key = format!("search:{gen}:{}", query.page_key());
        let (store, q) = (self.store.clone(), query.clone());
        let body = self
            .cache
            .get_or_load(&key, move || Ok(tagged(json(&search::run(&store, &q)?)?)))
            .await?;
        Ok((query, untag(body)))
    }

    /// The search page cached under the query string `qs` exactly as a
    /// client sent it, if there is one: found without parsing or
    /// normalising anything, the busiest read's shortest path. `None` (a
    /// miss, counted) sends the caller to [`Directory::search_as`].
    pub async fn search_cached(&self, qs: &str) -> Option<Tagged> {
        let gen = self.cache.generation(ALL).await;
        self.cache.lookup(&raw_key(gen, qs)).await.map(untag)
    }

    /// One page of a search (after [`Directory::search_cached`] missed),
    /// then kept under `qs` too, so the same string next time is found at once.
    pub async fn search_as(&self, raw: &RawQuery, qs: &str) -> DirectoryResult<Tagged> {
        let query = raw.parse()?;
        let gen = self.cache.generation(ALL).await;
        let key = format!("search:{gen}:{}", query.page_key());
        let store = self.store.clone();
        let body = self
            .cache
            .fill(&key, move || {
                Ok(tagged(json(&search::run(&store, &query)?)?))
            })
            .await?;
        // Under the generation read before the load, like the page itself:
        // a change committed meanwhile has bumped it past this key.
        self.cache.put(&raw_key(gen, qs), &body).await;
        Ok(untag(body))
    }

    /// One page of a search as JSON, from the cache when it can.
    pub async fn search_json(&self, raw: &RawQuery) -> DirectoryResult<(Query, Bytes)> {
        let (q, t) = self.search_tagged(raw).await?;
        Ok((q, t.body))
    }

    /// One page of a search.
    pub async fn search(&self, raw: &RawQuery) -> DirectoryResult<(Query, Page)> {
        let (q, body) = self.search_json(raw).await?;
        let page = serde_json::from_slice(&body)
            .map_err(|e| DirectoryError::Internal(format!("cached page: {e}")))?;
        Ok((q, page))
    }

    /// A whole result set in an export format.
    pub async fn export(&self, raw: &RawQuery, format: Format) -> DirectoryResult<Bytes> {
        Ok(self.export_tagged(raw, format).await?.body)
    }

    /// A whole result set in an export format, with its ETag.
    pub async fn export_tagged(&self, raw: &RawQuery, format: Format) -> DirectoryResult<Tagged> {
        let mut raw = raw.clone();
        raw.cursor = None;
        raw.limit = None;
        let query = raw.parse()?;
        let gen = self.cache.generation(ALL).await;
        let key = format!("export:{format:?}:{gen}:{}", query.canonical());
        let (store, base) = (self.store.clone(), self.base.clone());
        let body = self
            .cache
            .get_or_load(&key, move || {
                let items = search::all(&store, &query)?;
                Ok(tagged(match format {
                    Format::Csv => export::csv(&items)?,
                    Format::JsonLd => export::jsonld_many(&items, &base),
                }))
            })
            .await?;
        Ok(untag(body))
    }

    fn entry_gen(id: i64) -> String {
        format!("entry:{id}")
    }

    async fn entry_key(&self, id: i64) -> String {
        let gen = self.cache.generation(&Self::entry_gen(id)).await;
        format!("entry:{id}:{gen}")
    }

    /// One library as JSON, from the cache when it can.
    pub async fn entry_json(&self, id: i64) -> DirectoryResult<Bytes> {
        Ok(self.entry_tagged(id).await?.body)
    }

    /// One library as JSON with its ETag, from the cache when it can.
    pub async fn entry_tagged(&self, id: i64) -> DirectoryResult<Tagged> {
        let key = self.entry_key(id).await;
        let store = self.store.clone();
        let body = self
            .cache
            .get_or_load(&key, move || {
                let (e, member_library, members) = store.consortium(Access::Read, |c| {
                    let e = sd::by_id(c, id)?;
                    let member = sd::member_slug(c, &e)?;
                    Ok::<_, store::StoreError>((e, member, sd::member_ids(c)?))
                })?;
                let member =
                    e.library_id.is_some() || e.parent_id.is_some_and(|p| members.contains(&p));
                Ok(tagged(json(&Detail {
                    item: Item::from_entry_as(&e, None, member),
                    version: e.version,
                    updated_at: e.updated_at,
                    member_library,
                    retired_at: e.retired_at,
                })?))
            })
            .await?;
        Ok(untag(body))
    }

    /// One library.
    pub async fn entry(&self, id: i64) -> DirectoryResult<Detail> {
        let body = self.entry_json(id).await?;
        serde_json::from_slice(&body)
            .map_err(|e| DirectoryError::Internal(format!("cached entry: {e}")))
    }

    /// Makes the next read of `entry` (and of every list) miss. Call after commit.
    pub async fn changed(&self, entry: Option<i64>) -> DirectoryResult<()> {
        if let Some(id) = entry {
            let key = self.entry_key(id).await;
            self.cache.bump(&Self::entry_gen(id)).await?;
            self.cache.delete(&key).await?;
        }
        self.cache.bump(ALL).await
    }

    /// A member library's own entry, created on first use.
    pub async fn own_entry(&self, library: Library) -> DirectoryResult<OwnEntry> {
        let store = self.store.clone();
        let (own, created) =
            blocking(move || moderation::entry_for_library(&store, &library)).await?;
        if created {
            self.changed(Some(own.entry.id)).await?;
        }
        Ok(own)
    }

    /// Submits a change to a library's entry for the director.
    pub async fn submit(
        &self,
        library: Library,
        by: AccountId,
        patch: Patch,
    ) -> DirectoryResult<ChangeView> {
        let store = self.store.clone();
        let (change, created) =
            blocking(move || moderation::submit(&store, &library, by, &patch)).await?;
        if created {
            self.changed(Some(change.entry_id)).await?;
        }
        Ok(change)
    }

    /// Approves and publishes a change; readers see it on their next request.
    pub async fn approve(
        &self,
        change: i64,
        by: AccountId,
        reason: Option<String>,
    ) -> DirectoryResult<ChangeView> {
        let store = self.store.clone();
        let view =
            blocking(move || moderation::approve(&store, change, by, reason.as_deref())).await?;
        self.changed(Some(view.entry_id)).await?;
        Ok(view)
    }

    /// Rejects a change with a reason.
    pub async fn reject(
        &self,
        change: i64,
        by: AccountId,
        reason: String,
    ) -> DirectoryResult<ChangeView> {
        let store = self.store.clone();
        blocking(move || moderation::reject(&store, change, by, &reason)).await
    }

    /// The director edits any entry; published at once.
    pub async fn director_edit(
        &self,
        id: i64,
        version: Option<i64>,
        patch: Patch,
    ) -> DirectoryResult<Item> {
        let store = self.store.clone();
        let item = blocking(move || moderation::director_edit(&store, id, version, &patch)).await?;
        self.changed(Some(id)).await?;
        Ok(item)
    }

    /// The director retires an entry; it leaves every list at once.
    pub async fn retire(
        &self,
        id: i64,
        version: Option<i64>,
        reason: String,
    ) -> DirectoryResult<()> {
        let store = self.store.clone();
        blocking(move || moderation::retire(&store, id, version, &reason)).await?;
        self.changed(Some(id)).await
    }

    /// Changes, for the director.
    pub async fn changes(
        &self,
        status: Option<String>,
        after: Option<i64>,
        limit: i64,
    ) -> DirectoryResult<Vec<ChangeView>> {
        let store = self.store.clone();
        blocking(move || moderation::list(&store, status.as_deref(), after, limit)).await
    }

    /// An entry's history, for the director.
    pub async fn history(&self, id: i64) -> DirectoryResult<History> {
        let store = self.store.clone();
        blocking(move || moderation::history(&store, id)).await
    }
}
