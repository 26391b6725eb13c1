//! A library's privacy policy for the public, with the difference between
//! two versions; the admin's page to publish one; the patron's notice and
//! opt-outs live on `/my` (see [`super::my`]).

use super::filters;
use super::layout::{Layout, DIRECTORY_NAV};
use crate::error::ApiError;
use askama::Template;
use custody::privacy_policy::{Difference, PublicPolicy};

#[derive(Template)]
#[template(path = "privacy/public.html")]
struct PublicPage<'a> {
    layout: Layout,
    p: &'a PublicPolicy,
    published: String,
    paragraphs: Vec<&'a str>,
    numbers: Vec<i64>,
    from: i64,
    to: i64,
    difference: Option<&'a Difference>,
    action: String,
    vendors_href: String,
}

/// `/libraries/{slug}/privacy`: what `GET /api/v1/public/libraries/{slug}/privacy` answers, and a difference.
pub fn public_page(p: &PublicPolicy, difference: Option<&Difference>) -> Result<String, ApiError> {
    let mut numbers: Vec<i64> = p.versions.iter().map(|v| v.version).collect();
    numbers.push(p.current.version);
    numbers.sort_unstable();
    let (from, to) = difference.map_or((0, 0), |d| (d.from, d.to));
    super::render(&PublicPage {
        layout: Layout::new(format!("Privacy policy — {}", p.library), DIRECTORY_NAV),
        p,
        published: p
            .current
            .published_at
            .map(|t| t.format("%Y-%m-%d").to_string())
            .unwrap_or_default(),
        paragraphs: p
            .current
            .text
            .split("\n\n")
            .map(str::trim)
            .filter(|t| !t.is_empty())
            .collect(),
        numbers,
        from,
        to,
        difference,
        action: format!("/libraries/{}/privacy", p.slug),
        vendors_href: format!("/libraries/{}/vendors", p.slug),
    })
}
