//! "Newer" and "older" links under a list that is read a page at a time.
//!
//! The lists behind the pages are the JSON API's cursor lists (`limit` and
//! `cursor`), so a page link carries the same cursor the API gives out, with
//! the page's own filters kept.

use super::filters;
use askama::Template;

/// The links under one page of a list, shown by `templates/paging.html`.
#[derive(Debug, Clone, Default)]
pub struct Pager {
    /// The address of the first page (with the filters), when this is not it.
    pub first: Option<String>,
    /// The address of the next page, when there is one.
    pub next: Option<String>,
}

impl Pager {
    /// Links for a list at `path` with the query `filters` (already
    /// form-encoded, without `cursor`), on a page opened with `cursor` and
    /// followed by `next_cursor`.
    pub fn new(path: &str, filters: &str, cursor: Option<&str>, next_cursor: Option<&str>) -> Self {
        let with = |extra: Option<String>| {
            let mut q: Vec<String> = Vec::new();
            if !filters.is_empty() {
                q.push(filters.to_owned());
            }
            q.extend(extra);
            if q.is_empty() {
                path.to_owned()
            } else {
                format!("{path}?{}", q.join("&"))
            }
        };
        Pager {
            first: cursor.map(|_| with(None)),
            next: next_cursor.map(|c| with(Some(format!("cursor={}", urlencode(c))))),
        }
    }

    /// Renders the links (nothing when the list fits on one page).
    pub fn html(&self) -> String {
        PagerHtml { pager: self }.render().unwrap_or_default()
    }
}

#[derive(Template)]
#[template(path = "paging.html")]
struct PagerHtml<'a> {
    pager: &'a Pager,
}

/// Form-encodes one query value.
pub fn urlencode(v: &str) -> String {
    form_urlencoded::byte_serialize(v.as_bytes()).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_next_link_keeps_the_filters_and_the_first_link_drops_the_cursor() {
        let p = Pager::new("/director", "status=new", Some("abc"), Some("d+e"));
        assert_eq!(p.first.as_deref(), Some("/director?status=new"));
        assert_eq!(p.next.as_deref(), Some("/director?status=new&cursor=d%2Be"));
        let only = Pager::new("/my/records", "", None, None);
        assert!(only.html().trim().is_empty());
    }
}
