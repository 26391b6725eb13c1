//! What every request carries is checked once, before any handler sees it.
//!
//! PostgreSQL cannot store U+0000 in text and answers a query holding one
//! with an encoding error, so a NUL anywhere a handler could pass on (a JSON
//! string or key, a line of a feed, a query parameter, the path) is refused
//! here as bad input naming the field, on both backends alike. The same walk
//! bounds every string by a maximum for its field name, and the body by a
//! size, so a 200 kB name never reaches the store. Bodies that do not parse as
//! JSON pass through: the handler's extractor reports those as it always has.

use crate::error::ApiError;
use actix_web::body::{BoxBody, MessageBody};
use actix_web::dev::{Payload, ServiceRequest, ServiceResponse};
use actix_web::http::{header, Method};
use actix_web::middleware::Next;
use actix_web::web::{Bytes, BytesMut};
use actix_web::HttpMessage;
use futures_util::StreamExt;
use serde_json::Value;

/// The largest JSON body an endpoint takes.
pub const JSON_BODY_LIMIT: usize = 64 * 1024;

/// The largest records feed (JSON lines, up to 10,000 records).
pub const FEED_BODY_LIMIT: usize = 32 * 1024 * 1024;

/// The maximum of any string field the table below does not name.
pub const DEFAULT_MAX_CHARS: usize = 1000;

/// The longest field name (JSON key or query parameter) accepted.
pub const MAX_KEY_CHARS: usize = 100;

/// The most characters a string field may hold, by the field's name.
pub fn max_chars(field: &str) -> usize {
    match field {
        "name" | "display_name" | "given_by" | "guardian" | "who" | "owner" => 200,
        "email" | "owner_email" => 254,
        "phone" => 40,
        "card" | "card_number" => 40,
        "pin" | "current_pin" | "new_pin" => 40,
        "address" | "city" | "county" | "state" | "zip" | "street" | "line1" | "line2"
        | "branch" | "source" | "external_id" => 200,
        "item" => 500,
        "purpose" => 500,
        "q" => 200,
        "website" => 2000,
        "text" | "note" | "notes" | "reason" | "details" | "description" | "hours" | "services" => {
            4000
        }
        _ => DEFAULT_MAX_CHARS,
    }
}

/// Why a value was refused, before it is told as an API error.
#[derive(Debug, PartialEq, Eq)]
pub enum Refusal {
    /// The field holds U+0000.
    Nul {
        /// The field's path, e.g. `address.city`.
        field: String,
    },
    /// The field is longer than its maximum.
    TooLong {
        /// The field's path.
        field: String,
        /// The maximum, in characters.
        max: usize,
        /// Its length, in characters.
        got: usize,
    },
}

impl Refusal {
    /// The refusal as the problem a caller sees.
    pub fn into_error(self) -> ApiError {
        match self {
            Refusal::Nul { field } => ApiError::Invalid {
                detail: nul_detail(&field),
                field,
            },
            Refusal::TooLong { field, max, got } => ApiError::TooLong { field, max, got },
        }
    }

    /// The refusal as a bad line of a feed.
    pub fn into_feed_error(self, line: usize) -> ApiError {
        let detail = match self {
            Refusal::Nul { field } => nul_detail(&field),
            Refusal::TooLong { field, max, got } => {
                format!("{field}: at most {max} characters, got {got}")
            }
        };
        ApiError::FeedLine { line, detail }
    }
}

fn nul_detail(field: &str) -> String {
    format!("{field} contains a NUL character (U+0000), which custodian does not store; remove it and send again")
}

/// A key as it may appear in a problem: escaped and cut short.
fn shown_key(key: &str) -> String {
    let escaped: String = key.escape_debug().collect();
    if escaped.chars().count() > 40 {
        let cut: String = escaped.chars().take(40).collect();
        format!("{cut}…")
    } else {
        escaped
    }
}

fn check_str(field: &str, name: &str, s: &str) -> Result<(), Refusal> {
    if s.contains('\0') {
        return Err(Refusal::Nul {
            field: field.to_owned(),
        });
    }
    let max = max_chars(name);
    // Counting characters is linear; bytes bound it from below, so skip it for short strings.
    if s.len() > max {
        let got = s.chars().count();
        if got > max {
            return Err(Refusal::TooLong {
                field: field.to_owned(),
                max,
                got,
            });
        }
    }
    Ok(())
}

fn check_key(parent: &str, key: &str) -> Result<String, Refusal> {
    let field = if parent.is_empty() {
        shown_key(key)
    } else {
        format!("{parent}.{}", shown_key(key))
    };
    if key.contains('\0') {
        return Err(Refusal::Nul { field });
    }
    let got = key.chars().count();
    if got > MAX_KEY_CHARS {
        return Err(Refusal::TooLong {
            field: format!("{field} (a field name)"),
            max: MAX_KEY_CHARS,
            got,
        });
    }
    Ok(field)
}

/// Walks a JSON value and refuses the first string, key or value, with a NUL or over its maximum.
pub fn check_value(value: &Value) -> Result<(), Refusal> {
    walk(value, "", "")
}

fn walk(value: &Value, path: &str, name: &str) -> Result<(), Refusal> {
    match value {
        Value::String(s) => check_str(if path.is_empty() { "body" } else { path }, name, s),
        Value::Array(items) => items
            .iter()
            .enumerate()
            .try_for_each(|(i, v)| walk(v, &format!("{path}[{i}]"), name)),
        Value::Object(map) => map.iter().try_for_each(|(k, v)| {
            let field = check_key(path, k)?;
            walk(v, &field, k)
        }),
        Value::Null | Value::Bool(_) | Value::Number(_) => Ok(()),
    }
}

/// Percent-decodes a query-string component (`+` is a space).
fn percent_decode(s: &str) -> Vec<u8> {
    let bytes = s.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        match bytes[i] {
            b'+' => out.push(b' '),
            b'%' if i + 2 < bytes.len() => match (hex(bytes[i + 1]), hex(bytes[i + 2])) {
                (Some(h), Some(l)) => {
                    out.push(h << 4 | l);
                    i += 2;
                }
                _ => out.push(b'%'),
            },
            b => out.push(b),
        }
        i += 1;
    }
    out
}

fn hex(b: u8) -> Option<u8> {
    match b {
        b'0'..=b'9' => Some(b - b'0'),
        b'a'..=b'f' => Some(b - b'a' + 10),
        b'A'..=b'F' => Some(b - b'A' + 10),
        _ => None,
    }
}

/// Checks every query parameter, percent-decoded: UTF-8, no NUL, within its maximum.
pub fn check_query(query: &str) -> Result<(), ApiError> {
    for pair in query.split('&').filter(|p| !p.is_empty()) {
        let (raw_key, raw_value) = pair.split_once('=').unwrap_or((pair, ""));
        let key_bytes = percent_decode(raw_key);
        let key = match std::str::from_utf8(&key_bytes) {
            Ok(k) => k,
            Err(_) => {
                let shown = shown_key(&String::from_utf8_lossy(&key_bytes));
                return Err(ApiError::Invalid {
                    detail: format!("the query parameter name {shown} is not valid UTF-8 once percent-decoded; send UTF-8"),
                    field: shown,
                });
            }
        };
        let field = check_key("", key).map_err(Refusal::into_error)?;
        let value_bytes = percent_decode(raw_value);
        let value = std::str::from_utf8(&value_bytes).map_err(|_| ApiError::Invalid {
            detail: format!(
                "the query parameter {field} is not valid UTF-8 once percent-decoded; send UTF-8"
            ),
            field: field.clone(),
        })?;
        check_str(&field, key, value).map_err(Refusal::into_error)?;
    }
    Ok(())
}

/// Checks the path once percent-decoded: a NUL there would reach a look-up by slug.
pub fn check_path(path: &str) -> Result<(), ApiError> {
    if path.contains('%') && percent_decode(path).contains(&0) {
        return Err(ApiError::Invalid {
            field: "path".into(),
            detail: "the path of the address contains a NUL character (%00); remove it".into(),
        });
    }
    Ok(())
}

/// Checks a records feed line by line, naming the first bad line; lines that do not parse are the handler's to report.
pub fn check_feed(body: &[u8]) -> Result<(), ApiError> {
    let Ok(text) = std::str::from_utf8(body) else {
        return Ok(());
    };
    for (i, raw) in text.lines().enumerate() {
        if raw.trim().is_empty() {
            continue;
        }
        if let Ok(value) = serde_json::from_str::<Value>(raw) {
            check_value(&value).map_err(|r| r.into_feed_error(i + 1))?;
        }
    }
    Ok(())
}

/// Rewrites every number with a zero fractional part (`7.0`, `-3e2`) as the
/// integer it equals; `None` when there is none. JSON has one number type and
/// JSON Schema's `integer` (what the OpenAPI document says of every id) admits
/// `7.0`, while serde reads an `i64` only from `7`.
fn integral_floats_as_integers(value: &mut Value) -> bool {
    match value {
        Value::Number(n) if n.is_f64() => {
            let Some(f) = n.as_f64() else { return false };
            // Below 2^53 every integral f64 is exact, and well inside i64.
            if f.fract() == 0.0 && f.abs() < 9_007_199_254_740_992.0 {
                *value = Value::from(f as i64);
                true
            } else {
                false
            }
        }
        // `|=` visits every element (`any` would stop at the first rewritten one).
        Value::Array(items) => {
            let mut changed = false;
            for v in items {
                changed |= integral_floats_as_integers(v);
            }
            changed
        }
        Value::Object(map) => {
            let mut changed = false;
            for v in map.values_mut() {
                changed |= integral_floats_as_integers(v);
            }
            changed
        }
        _ => false,
    }
}

/// The body with integral floats written as integers, when it has any.
pub fn normalized_json(body: &[u8]) -> Option<Vec<u8>> {
    let mut value = serde_json::from_slice::<Value>(body).ok()?;
    if !integral_floats_as_integers(&mut value) {
        return None;
    }
    serde_json::to_vec(&value).ok()
}

/// Checks a JSON body: UTF-8, then (when it parses) every string in it.
pub fn check_json(body: &[u8]) -> Result<(), ApiError> {
    if body.iter().all(u8::is_ascii_whitespace) {
        return Ok(());
    }
    if let Err(e) = std::str::from_utf8(body) {
        let field = bad_utf8_field(body).unwrap_or_else(|| "body".into());
        return Err(ApiError::Invalid {
            detail: format!(
                "{field} is not valid UTF-8 (the first bad byte is at offset {} of the body); send UTF-8 JSON",
                e.valid_up_to()
            ),
            field,
        });
    }
    match serde_json::from_slice::<Value>(body) {
        Ok(value) => check_value(&value).map_err(Refusal::into_error),
        Err(_) => Ok(()),
    }
}

/// The first field whose string held bytes that are not UTF-8, found by reading the body lossily.
fn bad_utf8_field(body: &[u8]) -> Option<String> {
    fn find(v: &Value, path: &str) -> Option<String> {
        match v {
            Value::String(s) if s.contains('\u{FFFD}') => Some(if path.is_empty() {
                "body".into()
            } else {
                path.to_owned()
            }),
            Value::Array(items) => items
                .iter()
                .enumerate()
                .find_map(|(i, v)| find(v, &format!("{path}[{i}]"))),
            Value::Object(map) => map.iter().find_map(|(k, v)| {
                let field = if path.is_empty() {
                    shown_key(k)
                } else {
                    format!("{path}.{}", shown_key(k))
                };
                if k.contains('\u{FFFD}') {
                    Some(field)
                } else {
                    find(v, &field)
                }
            }),
            _ => None,
        }
    }
    let text = String::from_utf8_lossy(body);
    find(&serde_json::from_str::<Value>(&text).ok()?, "")
}

enum BodyKind {
    /// The raw message of the mail gateway: its own limit and checks.
    Untouched,
    /// A records feed: JSON lines.
    Feed,
    /// Everything else takes JSON or nothing.
    Json,
    /// A legal request's document (a scanned order): any bytes, its own limit;
    /// the handler checks its media type and exact size.
    Document,
}

/// The most a document upload's body may hold: the document and, for the
/// page's form, the multipart framing around it.
pub const DOCUMENT_BODY_LIMIT: usize = custody::legal_documents::MAX_DOCUMENT_BYTES + 64 * 1024;

/// Whether `path` is where a legal request's documents are posted (the API's
/// `…/legal-requests/{id}/documents` or the page's `…/legal/{id}/documents`).
fn is_document_upload(path: &str) -> bool {
    let parts: Vec<&str> = path.trim_matches('/').split('/').collect();
    matches!(
        parts.as_slice(),
        [
            "api",
            "v1",
            "libraries",
            _,
            "legal-requests",
            _,
            "documents"
        ] | ["libraries", _, "legal", _, "documents"]
    )
}

fn body_kind(req: &ServiceRequest) -> BodyKind {
    let path = req.path().trim_end_matches('/');
    if !matches!(
        *req.method(),
        Method::POST | Method::PUT | Method::PATCH | Method::DELETE
    ) {
        // Other methods' bodies are never read by a handler.
        return BodyKind::Untouched;
    }
    if path == "/api/v1/director/inbound-mail" {
        BodyKind::Untouched
    } else if path.starts_with("/api/v1/libraries/") && path.ends_with("/records/feed") {
        BodyKind::Feed
    } else if *req.method() == Method::POST && is_document_upload(path) {
        BodyKind::Document
    } else {
        BodyKind::Json
    }
}

async fn read_body(req: &mut ServiceRequest, limit: usize) -> Result<Bytes, ApiError> {
    let mut payload = req.take_payload();
    let mut buf = BytesMut::new();
    while let Some(chunk) = payload.next().await {
        let chunk = chunk.map_err(|_| ApiError::Body("the body could not be read".into()))?;
        if buf.len() + chunk.len() > limit {
            return Err(ApiError::BodyTooLarge { limit });
        }
        buf.extend_from_slice(&chunk);
    }
    Ok(buf.freeze())
}

async fn check(req: &mut ServiceRequest) -> Result<(), ApiError> {
    check_path(req.path())?;
    check_query(req.query_string())?;
    let kind = body_kind(req);
    let limit = match kind {
        BodyKind::Untouched => return Ok(()),
        BodyKind::Feed => FEED_BODY_LIMIT,
        BodyKind::Json => JSON_BODY_LIMIT,
        BodyKind::Document => DOCUMENT_BODY_LIMIT,
    };
    let encoded = req
        .headers()
        .get(header::CONTENT_ENCODING)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| !v.trim().eq_ignore_ascii_case("identity"));
    if encoded {
        return Err(ApiError::Body(
            "the body is compressed (Content-Encoding); send it uncompressed".into(),
        ));
    }
    let declared = req
        .headers()
        .get(header::CONTENT_LENGTH)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.parse::<usize>().ok());
    if declared.is_some_and(|n| n > limit) {
        return Err(ApiError::BodyTooLarge { limit });
    }
    let body = read_body(req, limit).await?;
    let body = match kind {
        BodyKind::Feed => {
            check_feed(&body)?;
            body
        }
        BodyKind::Document => body,
        _ => {
            check_json(&body)?;
            match normalized_json(&body) {
                Some(rewritten) => {
                    // The handler reads the rewritten body; its length is no longer the declared one.
                    req.headers_mut().remove(header::CONTENT_LENGTH);
                    Bytes::from(rewritten)
                }
                None => body,
            }
        }
    };
    req.set_payload(Payload::from(body));
    Ok(())
}

/// Middleware: refuses NUL, invalid UTF-8 and oversize input before any handler runs.
pub async fn validate(
    mut req: ServiceRequest,
    next: Next<impl MessageBody + 'static>,
) -> Result<ServiceResponse<BoxBody>, actix_web::Error> {
    match check(&mut req).await {
        Ok(()) => Ok(next.call(req).await?.map_into_boxed_body()),
        Err(e) => {
            let res = actix_web::ResponseError::error_response(&e);
            Ok(req.into_response(res))
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn integral_floats_become_integers_and_nothing_else_changes() {
        let out = normalized_json(br#"{"a": 7.0, "b": [-3e2, 1.5], "c": "7.0"}"#).unwrap();
        let v: Value = serde_json::from_slice(&out).unwrap();
        assert_eq!(v, serde_json::json!({"a": 7, "b": [-300, 1.5], "c": "7.0"}));
        assert!(normalized_json(br#"{"a": 7, "b": 1.5}"#).is_none());
        assert!(normalized_json(br#"{"a": 1e300}"#).is_none());
    }

    #[test]
    fn a_nul_is_named_by_its_path() {
        let v = json!({"address": {"city": "Spring\u{0}field"}});
        assert_eq!(
            check_value(&v),
            Err(Refusal::Nul {
                field: "address.city".into()
            })
        );
        let v = json!({"lines": ["ok", "b\u{0}d"]});
        assert_eq!(
            check_value(&v),
            Err(Refusal::Nul {
                field: "lines[1]".into()
            })
        );
        let v = json!({"a\u{0}b": 1});
        assert_eq!(
            check_value(&v),
            Err(Refusal::Nul {
                field: "a\\0b".into()
            })
        );
    }

    #[test]
    fn lengths_are_bounded_by_field_name() {
        let v = json!({"name": "x".repeat(201)});
        assert_eq!(
            check_value(&v),
            Err(Refusal::TooLong {
                field: "name".into(),
                max: 200,
                got: 201
            })
        );
        assert!(check_value(&json!({"name": "é".repeat(200)})).is_ok());
        assert!(check_value(&json!({"other": "x".repeat(1001)})).is_err());
    }

    #[test]
    fn query_parameters_are_decoded_then_checked() {
        assert!(check_query("q=a%20b&limit=5").is_ok());
        let e = check_query("q=a%00b").unwrap_err().to_string();
        assert!(e.contains("invalid q"), "{e}");
        let e = check_query("card=%FF%FE").unwrap_err().to_string();
        assert!(e.contains("UTF-8"), "{e}");
        assert!(check_query("q=%").is_ok());
        assert!(check_query("q=%4").is_ok());
        assert!(check_path("/api/v1/libraries/a%00b/staff").is_err());
    }

    #[test]
    fn invalid_utf8_names_its_field() {
        let e = check_json(b"{\"name\": \"ok\", \"address\": \"\xff\xfe\"}").unwrap_err();
        assert!(
            matches!(&e, ApiError::Invalid { field, .. } if field == "address"),
            "{e}"
        );
        let e = check_json(b"\xff").unwrap_err();
        assert!(
            matches!(&e, ApiError::Invalid { field, .. } if field == "body"),
            "{e}"
        );
    }

    #[test]
    fn feed_lines_are_named() {
        let body = b"{\"item\": \"ok\"}\n\n{\"item\": \"b\\u0000d\"}\n";
        let e = check_feed(body).unwrap_err();
        assert!(matches!(e, ApiError::FeedLine { line: 3, .. }), "{e}");
    }
}
