//! HTTP handlers, one module per area. Handlers parse, ask the policy crate,
//! call one store function and map the result.
//!
//! Each module registers its own routes: `configure` those under `/api/v1`,
//! `configure_root` those at the site root.

/// One resource per path: a method it does not take answers 405 with `Allow`
/// naming those it does, from the same list that registers them.
/// It also records the path and methods in [`registry`], so the OpenAPI
/// coverage test compares the document with the routes really registered.
macro_rules! resource {
    ($path:expr, $($method:ident => $handler:expr),+ $(,)?) => {{
        $crate::routes::registry::record($path, &[$(stringify!($method)),+]);
        ::actix_web::web::resource($path)
            $(.route($crate::routes::method::$method().to($handler)))+
            .default_service(::actix_web::web::to(|| $crate::routes::method_not_allowed(&[$(stringify!($method)),+])))
    }};
}
pub(crate) use resource;

pub mod api_docs;
pub mod audit;
pub mod auth;
pub mod directory;
pub mod exports;
pub mod health;
pub mod legal;
pub mod legal_documents;
pub mod legal_report;
pub mod legal_settings;
pub mod libraries;
pub mod mail;
pub mod me;
pub mod me_email;
pub mod me_records;
pub mod patron_session;
pub mod patrons;
pub mod privacy_policy;
pub mod records;
pub mod registry;
pub mod retention;
pub mod staff;
pub mod statistics;
pub mod vendor_api;
pub mod vendors;
pub mod web;

use crate::error::ApiError;
use actix_web::HttpResponse;
use base64::Engine;
use serde::{Deserialize, Serialize};

/// `?limit=&cursor=` on every list.
#[derive(Debug, Default, Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub struct PageQuery {
    /// How many items, 1 to `custody::MAX_PAGE_LIMIT` (default 50).
    pub limit: Option<String>,
    /// The `next_cursor` of the previous page; empty or absent for the first page.
    pub cursor: Option<String>,
}

/// A validated page request over an integer key.
pub struct Page {
    /// Items to return.
    pub limit: i64,
    /// Return keys after this one.
    pub after: Option<i64>,
}

impl PageQuery {
    /// Checks the parameters, naming the one that is wrong.
    pub fn parse(&self) -> Result<Page, ApiError> {
        let limit = match &self.limit {
            None => 50,
            Some(s) => match s.parse::<i64>() {
                Ok(n) if (1..=custody::MAX_PAGE_LIMIT).contains(&n) => n,
                _ => {
                    return Err(ApiError::Invalid {
                        field: "limit".into(),
                        detail: format!(
                            "limit must be a whole number from 1 to {}, got {s:?}",
                            custody::MAX_PAGE_LIMIT
                        ),
                    })
                }
            },
        };
        // An empty cursor is no cursor, as the directory reads it: a form or a
        // link that leaves `cursor=` empty means the first page.
        let after = match self.cursor.as_deref() {
            None | Some("") => None,
            Some(c) => Some(decode_cursor(c).ok_or_else(|| ApiError::Invalid {
                field: "cursor".into(),
                detail: "cursor is not one this server gave out; start again without it".into(),
            })?),
        };
        Ok(Page { limit, after })
    }
}

/// The key an opaque list cursor stands for; `None` when this server did not give it out.
pub fn decode_cursor(c: &str) -> Option<i64> {
    let bytes = base64::engine::general_purpose::URL_SAFE_NO_PAD
        .decode(c)
        .ok()?;
    let id: i64 = std::str::from_utf8(&bytes)
        .ok()?
        .strip_prefix("k:")?
        .parse()
        .ok()?;
    // `k:+5` and `k:05` parse too, but were never given out (found by the
    // list_cursor fuzz invariant): only the cursor the key encodes to is one.
    (encode_cursor(id) == c).then_some(id)
}

/// An opaque cursor for the item with key `id`.
pub fn encode_cursor(id: i64) -> String {
    base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(format!("k:{id}"))
}

/// A page of a list.
#[derive(Serialize, utoipa::ToSchema)]
pub struct Paged<T> {
    /// The items.
    pub items: Vec<T>,
    /// Pass as `cursor` for the next page; null on the last one.
    pub next_cursor: Option<String>,
}

impl<T> Paged<T> {
    /// Builds a page; a full page gets a cursor from its last item's key.
    pub fn new(items: Vec<T>, page: &Page, key: impl Fn(&T) -> i64) -> Self {
        let next_cursor = if items.len() as i64 == page.limit {
            items.last().map(|i| encode_cursor(key(i)))
        } else {
            None
        };
        Paged { items, next_cursor }
    }
}

/// Checks an optional email address a patron or staff member gives.
pub fn check_email(email: Option<&str>) -> Result<(), ApiError> {
    match email {
        Some(e) if !custody::values::looks_like_email(e) => Err(ApiError::Invalid {
            field: "email".into(),
            detail: "expected an email address such as name@example.org".into(),
        }),
        _ => Ok(()),
    }
}

/// The ways a patron may ask to be contacted.
pub const CONTACT_CHOICES: [&str; 4] = ["email", "phone", "mail", "none"];

/// Checks an optional contact preference.
pub fn check_contact_by(how: Option<&str>) -> Result<(), ApiError> {
    match how {
        Some(h) if !CONTACT_CHOICES.contains(&h) => Err(ApiError::Invalid {
            field: "contact_by".into(),
            detail: format!("expected one of {}", CONTACT_CHOICES.join(", ")),
        }),
        _ => Ok(()),
    }
}

/// Distinguishes a field that is absent (leave it) from one that is null (clear it).
pub mod double_option {
    use serde::{Deserialize, Deserializer};

    /// Absent stays `None` (with `#[serde(default)]`); `null` becomes `Some(None)`.
    pub fn deserialize<'de, T: Deserialize<'de>, D: Deserializer<'de>>(
        d: D,
    ) -> Result<Option<Option<T>>, D::Error> {
        Option::<T>::deserialize(d).map(Some)
    }
}

/// Route builders for `resource!`, named by method.
pub(crate) mod method {
    use actix_web::{guard, web, Route};

    /// GET, and HEAD with it, as HTTP expects of every GET resource.
    pub fn get() -> Route {
        web::route().guard(guard::Any(guard::Get()).or(guard::Head()))
    }

    /// POST.
    pub fn post() -> Route {
        web::post()
    }

    /// PUT.
    pub fn put() -> Route {
        web::put()
    }

    /// PATCH.
    pub fn patch() -> Route {
        web::patch()
    }

    /// DELETE.
    pub fn delete() -> Route {
        web::delete()
    }
}

/// The 405 answer, naming the methods the path takes.
pub(crate) async fn method_not_allowed(
    methods: &'static [&'static str],
) -> Result<HttpResponse, ApiError> {
    Err(ApiError::MethodNotAllowed {
        allow: methods
            .iter()
            .map(|m| match *m {
                "get" => "GET, HEAD".to_owned(),
                m => m.to_ascii_uppercase(),
            })
            .collect::<Vec<_>>()
            .join(", "),
    })
}

/// Runs blocking store work off the async threads and flattens the errors.
pub async fn blocking<T, F>(f: F) -> Result<T, ApiError>
where
    F: FnOnce() -> Result<T, ApiError> + Send + 'static,
    T: Send + 'static,
{
    // Made here, on the request's task, so the domain call is its child in
    // a trace even though it runs on a blocking thread.
    let span = tracing::info_span!("domain");
    actix_web::web::block(move || crate::telemetry::in_span(span, f)).await?
}

/// A page behind a link sent by email (a request's or a new address's
/// confirmation): one layout for both, never cached, never sent as a referrer.
pub(crate) fn confirmation_page(
    status: actix_web::http::StatusCode,
    title: &str,
    message: &str,
    button: Option<crate::pages::confirm::ConfirmButton<'_>>,
) -> Result<actix_web::HttpResponse, ApiError> {
    let html = crate::pages::confirm::page(title, message, button)?;
    Ok(actix_web::HttpResponse::build(status)
        .content_type(crate::pages::HTML)
        .insert_header((actix_web::http::header::CACHE_CONTROL, "no-store"))
        .insert_header(("Referrer-Policy", "no-referrer"))
        .body(html))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_the_cursor_a_key_encodes_to_is_taken() {
        // base64 of `k:05` and `k:+5`: the same key as `k:5`, never given out.
        for c in ["azowNQ", "azorNQ"] {
            assert_eq!(decode_cursor(c), None, "{c}");
        }
        assert_eq!(decode_cursor(&encode_cursor(5)), Some(5));
    }

    #[test]
    fn cursors_round_trip_and_bad_ones_are_named() {
        let q = PageQuery {
            limit: Some("10".into()),
            cursor: Some(encode_cursor(42)),
        };
        let p = q.parse().unwrap();
        assert_eq!((p.limit, p.after), (10, Some(42)));
        let bad = PageQuery {
            limit: Some("0".into()),
            cursor: None,
        }
        .parse()
        .err()
        .unwrap();
        assert!(bad.to_string().contains("limit"));
        let bad = PageQuery {
            limit: None,
            cursor: Some("zzz".into()),
        }
        .parse()
        .err()
        .unwrap();
        assert!(bad.to_string().contains("cursor"));
    }
}
