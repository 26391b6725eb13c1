//! The OpenAPI 3.1 document of the JSON API, assembled from the route modules'
//! `ApiDoc`s, served at `/api/v1/openapi.json` and rendered at `/api/docs`.
//!
//! Each route module describes its own operations next to its handlers; this
//! module holds what they share: the problem+json body, the security schemes,
//! and the error responses every operation can give.

use std::collections::BTreeMap;
use utoipa::openapi::path::{Operation, ParameterIn};
use utoipa::openapi::security::{ApiKey, ApiKeyValue, HttpAuthScheme, HttpBuilder, SecurityScheme};
use utoipa::openapi::{
    ContentBuilder, InfoBuilder, OpenApi as Document, Ref, ResponseBuilder, ServerBuilder, Tag,
};
use utoipa::{Modify, OpenApi};

/// The media type of every error body (RFC 9457).
pub const PROBLEM_JSON: &str = "application/problem+json";

/// Security scheme: the staff session cookie set by `POST /api/v1/auth/sign-in`.
pub const SESSION_COOKIE: &str = "session_cookie";
/// Security scheme: the patron session cookie set by patron sign-in.
pub const PATRON_COOKIE: &str = "patron_cookie";
/// Security scheme: a staff or patron session token as `Authorization: Bearer`.
pub const BEARER: &str = "bearer";
/// Security scheme: the mail gateway's `mail.inbound_token`, as a bearer token.
pub const MAIL_GATEWAY: &str = "mail_gateway";
/// Security scheme: a vendor key `cvk_<id>.<secret>`, as a bearer token.
pub const VENDOR_KEY: &str = "vendor_key";

/// An RFC 9457 problem: the body of every error answer (`application/problem+json`).
#[derive(utoipa::ToSchema)]
#[schema(example = json!({
    "type": "urn:custodian:problem:invalid-parameter",
    "title": "A parameter is not valid",
    "status": 400,
    "detail": "limit must be a whole number from 1 to 200, got \"0\"",
    "field": "limit"
}))]
pub struct Problem {
    /// Stable identifier of the kind of problem, `urn:custodian:problem:<slug>`.
    #[schema(rename = "type", example = "urn:custodian:problem:not-found")]
    pub kind: String,
    /// What went wrong, the same for every problem of this type.
    pub title: String,
    /// The HTTP status code.
    #[schema(minimum = 400, maximum = 599)]
    pub status: u16,
    /// What to do about it.
    pub detail: String,
    /// The parameter, body field or policy key at fault, when there is one.
    #[schema(required = false)]
    pub field: Option<String>,
    /// The 1-based line of a bulk feed at fault, when there is one.
    #[schema(required = false, minimum = 1)]
    pub line: Option<u64>,
    /// The statute or policy clause behind a refused privacy policy, when there is one.
    #[schema(required = false)]
    pub clause: Option<Clause>,
}

/// A statute or policy clause a decision rests on.
#[derive(utoipa::ToSchema)]
#[schema(example = json!({"code": "mo-182.817-court-order", "text": "RSMo 182.817.1(2): released only under a court order"}))]
pub struct Clause {
    /// Stable code, as the audit log stores it.
    pub code: String,
    /// The clause in words.
    pub text: String,
}

/// The tags, in the order the reference page shows them.
const TAGS: &[(&str, &str)] = &[
    ("health", "Liveness and readiness"),
    ("auth", "Staff sign-in and sessions"),
    ("directory", "The public directory of member libraries"),
    ("moderation", "The director's moderation of the directory"),
    ("libraries", "Member libraries, for the consortium director"),
    ("patron", "A patron's own session, data and records"),
    ("patrons", "A library's patrons, for its staff"),
    ("records", "A library's records"),
    ("audit", "A library's audit log"),
    ("staff", "A library's staff accounts"),
    (
        "mail",
        "Correction requests by email: inbound mail, inbox, queues, outbox",
    ),
    ("legal", "Legal requests for records"),
    ("vendors", "Contracted vendors and their keys"),
    ("vendor-api", "What a vendor asks with its key"),
    ("privacy", "Privacy policies and opt-outs"),
    ("statistics", "Aggregate statistics"),
    ("retention", "Retention settings and runs"),
    ("exports", "Exports for a contracted use"),
    ("meta", "This document"),
];

/// The document's own operation, and the shared pieces.
#[derive(OpenApi)]
#[openapi(
    paths(crate::routes::api_docs::openapi_json),
    components(schemas(Problem, Clause)),
    modifiers(&SecuritySchemes)
)]
struct Shared;

/// Every module's `ApiDoc`, merged: add a module here when it gets one.
fn modules() -> Vec<Document> {
    #[allow(unused_imports)]
    use crate::routes;
    vec![
        Shared::openapi(),
        // --- w-oapi1's modules ---
        routes::health::ApiDoc::openapi(),
        routes::auth::ApiDoc::openapi(),
        routes::directory::ApiDoc::openapi(),
        routes::libraries::ApiDoc::openapi(),
        routes::patron_session::ApiDoc::openapi(),
        routes::me::ApiDoc::openapi(),
        routes::me_records::ApiDoc::openapi(),
        routes::patrons::ApiDoc::openapi(),
        routes::records::ApiDoc::openapi(),
        routes::audit::ApiDoc::openapi(),
        routes::staff::ApiDoc::openapi(),
        routes::mail::ApiDoc::openapi(),
        // --- w-oapi2's modules ---
        routes::legal::ApiDoc::openapi(),
        routes::legal_documents::ApiDoc::openapi(),
        routes::legal_report::ApiDoc::openapi(),
        routes::legal_settings::ApiDoc::openapi(),
        routes::vendors::ApiDoc::openapi(),
        routes::vendor_api::ApiDoc::openapi(),
        routes::statistics::ApiDoc::openapi(),
        routes::retention::ApiDoc::openapi(),
        routes::privacy_policy::ApiDoc::openapi(),
        routes::exports::ApiDoc::openapi(),
    ]
}

/// The whole document: every module merged, the shared error responses added.
pub fn document() -> Document {
    let mut doc = Document::default();
    for m in modules() {
        doc.merge(m);
    }
    doc.info = InfoBuilder::new()
        .title("custodian")
        .version(env!("CARGO_PKG_VERSION"))
        .description(Some(
            "The JSON API of custodian, the platform a public-library consortium runs. \
             Errors are RFC 9457 problem+json bodies. Lists take `limit` and `cursor` and \
             answer `{items, next_cursor}`.",
        ))
        .build();
    doc.servers = Some(vec![ServerBuilder::new()
        .url("/")
        .description(Some("This server"))
        .build()]);
    doc.tags = Some(
        TAGS.iter()
            .map(|(name, about)| {
                let mut t = Tag::new(*name);
                t.description = Some((*about).to_owned());
                t
            })
            .collect(),
    );
    CommonErrors.modify(&mut doc);
    SharedParameters.modify(&mut doc);
    ServerRules.modify(&mut doc);
    doc
}

/// The serialized document, built once.
pub fn json_bytes() -> &'static [u8] {
    static BYTES: std::sync::OnceLock<Vec<u8>> = std::sync::OnceLock::new();
    BYTES.get_or_init(|| serde_json::to_vec(&document()).unwrap_or_else(|_| b"{}".to_vec()))
}

/// Adds the five security schemes.
struct SecuritySchemes;

impl Modify for SecuritySchemes {
    fn modify(&self, doc: &mut Document) {
        let components = doc.components.get_or_insert_with(Default::default);
        let cookie = |name: &str, about: &str| {
            SecurityScheme::ApiKey(ApiKey::Cookie(ApiKeyValue::with_description(name, about)))
        };
        let bearer = |format: &str, about: &str| {
            SecurityScheme::Http(
                HttpBuilder::new()
                    .scheme(HttpAuthScheme::Bearer)
                    .bearer_format(format)
                    .description(Some(about))
                    .build(),
            )
        };
        components.add_security_scheme(
            SESSION_COOKIE,
            cookie(
                crate::auth::COOKIE,
                "The staff session cookie set by POST /api/v1/auth/sign-in.",
            ),
        );
        components.add_security_scheme(
            PATRON_COOKIE,
            cookie(
                crate::patron_auth::COOKIE,
                "The patron session cookie set by POST /api/v1/libraries/{library}/patron/sign-in.",
            ),
        );
        components.add_security_scheme(
            BEARER,
            bearer(
                "opaque",
                "A session token (staff or patron) from sign-in, as Authorization: Bearer. \
                 A request with an Authorization header never falls back to a cookie.",
            ),
        );
        components.add_security_scheme(
            MAIL_GATEWAY,
            bearer(
                "opaque",
                "The mail gateway's token, the setting mail.inbound_token, as Authorization: Bearer.",
            ),
        );
        components.add_security_scheme(
            VENDOR_KEY,
            bearer(
                "cvk_<key id>.<secret>",
                "A vendor key the library issued, as Authorization: Bearer cvk_….SECRET.",
            ),
        );
    }
}

/// Adds to every operation the problem+json answers the whole app can give,
/// unless the operation lists that status itself.
struct CommonErrors;

impl CommonErrors {
    /// The statuses an operation can get whatever its handler does, and why.
    fn statuses(op: &Operation, has_body: bool) -> Vec<(&'static str, &'static str)> {
        let mut out = vec![
            // A query string that does not parse, a NUL or bad UTF-8 in the path or query.
            (
                "400",
                "The request is malformed: a parameter, the query string or the body",
            ),
            (
                "500",
                "Something went wrong on our side; quote the x-request-id header",
            ),
            ("503", "The database or another dependency is not answering"),
        ];
        let has_path_params = op
            .parameters
            .iter()
            .flatten()
            .any(|p| p.parameter_in == ParameterIn::Path);
        if has_path_params {
            // Also what a path parameter of the wrong type gets (PathConfig).
            out.push(("404", "Nothing here that you can see"));
        }
        let has_query_params = op
            .parameters
            .iter()
            .flatten()
            .any(|p| p.parameter_in == ParameterIn::Query);
        if has_body {
            out.push(("413", "The body is larger than the endpoint takes"));
        }
        if has_body || has_query_params {
            // input.rs bounds query parameters by the same per-name maxima as body fields.
            out.push((
                "422",
                "A field or query parameter is longer than its maximum",
            ));
        }
        let secured = op.security.as_ref().is_some_and(|s| !s.is_empty());
        if secured {
            out.push(("401", "Not signed in, or the token is not valid"));
            out.push(("403", "Signed in, but the role does not allow this"));
        }
        out
    }
}

impl Modify for CommonErrors {
    fn modify(&self, doc: &mut Document) {
        for item in doc.paths.paths.values_mut() {
            let ops = [
                (&mut item.get, false),
                (&mut item.put, true),
                (&mut item.post, true),
                (&mut item.delete, true),
                (&mut item.patch, true),
            ];
            for (op, body_method) in ops {
                let Some(op) = op.as_mut() else { continue };
                let has_body = body_method;
                for (status, about) in Self::statuses(op, has_body) {
                    op.responses
                        .responses
                        .entry(status.to_owned())
                        .or_insert_with(|| problem_response(about).into());
                }
            }
        }
    }
}

/// Gives the query parameters every list and every audited read share the
/// rules the server holds them to, whatever a route module declared: `limit`
/// is a whole number from 1 to 200 and `purpose` is required text.
struct SharedParameters;

impl Modify for SharedParameters {
    fn modify(&self, doc: &mut Document) {
        use utoipa::openapi::path::Parameter;
        use utoipa::openapi::schema::{ObjectBuilder, Type};
        use utoipa::openapi::Required;
        for item in doc.paths.paths.values_mut() {
            let ops = [
                &mut item.get,
                &mut item.put,
                &mut item.post,
                &mut item.delete,
                &mut item.patch,
            ];
            for op in ops.into_iter().flatten() {
                for p in op.parameters.iter_mut().flatten() {
                    let p: &mut Parameter = p;
                    if p.parameter_in != ParameterIn::Query {
                        continue;
                    }
                    match p.name.as_str() {
                        "limit" => {
                            p.schema = Some(
                                ObjectBuilder::new()
                                    .schema_type(Type::Integer)
                                    .minimum(Some(1))
                                    .maximum(Some(200))
                                    .into(),
                            );
                        }
                        // custody's Purpose::parse: trimmed, not empty, at most 500 bytes.
                        "purpose" => {
                            p.required = Required::True;
                            p.schema = Some(
                                ObjectBuilder::new()
                                    .schema_type(Type::String)
                                    .min_length(Some(1))
                                    .max_length(Some(500))
                                    .pattern(Some("\\S"))
                                    .into(),
                            );
                        }
                        _ => {}
                    }
                }
            }
        }
    }
}

/// Writes into the document the static rules the server checks for query
/// parameters and fields declared as plain strings (they are read as text
/// so that a bad value gets a problem naming it, not serde's message): the
/// record kinds, the directory search's units, member and radii, a year. It
/// also takes off the directory exports the `limit` and `cursor` they ignore.
struct ServerRules;

impl ServerRules {
    /// The record kinds `custody::records::parse_kind` takes.
    fn record_kinds() -> Vec<&'static str> {
        policy::records::RecordKind::ALL
            .iter()
            .map(|k| k.as_str())
            .collect()
    }

    /// The schema of a query parameter the server reads, by operation path
    /// and name; `None` leaves the parameter as declared.
    fn query_schema(
        path: &str,
        name: &str,
    ) -> Option<utoipa::openapi::RefOr<utoipa::openapi::Schema>> {
        use serde_json::json;
        use utoipa::openapi::schema::{ObjectBuilder, Type};
        let directory = path.starts_with("/api/v1/directory/libraries") && !path.contains('{');
        // Each empty value below is there because the server reads an empty
        // parameter as an absent one (an HTML form sends empty fields).
        let schema: utoipa::openapi::Object = match (directory, name) {
            (_, "kind") => one_of(&Self::record_kinds(), "Only records of this kind."),
            // routes::directory::moderation's list reads exactly these (no empty).
            (false, "status") if path == "/api/v1/directory/changes" => one_of(
                &["pending", "approved", "rejected", "all"],
                "`pending` (the default), `approved`, `rejected` or `all`.",
            ),
            (true, "units") => one_of(&["", "mi", "km"], "Distances in `mi` (the default) or `km`."),
            (true, "member") => one_of(
                &["", "true", "false", "1", "0"],
                "`true` (or `1`): only the consortium's member libraries and their branches.",
            ),
            (true, "radius_km") => ObjectBuilder::new()
                .schema_type(Type::Number)
                .exclusive_minimum(Some(0))
                .maximum(Some(20_040))
                .description(Some("Only libraries within this many kilometres of `near` (which it needs)."))
                .build(),
            // Its maximum depends on `units` (20040 km or 12452 mi): the larger one here.
            (true, "radius") => ObjectBuilder::new()
                .schema_type(Type::Number)
                .exclusive_minimum(Some(0))
                .maximum(Some(20_040))
                .description(Some("Only libraries within this distance of `near` (which it needs), in `units`: at most 20040 km or 12452 mi."))
                .build(),
            (false, "year") if path.ends_with("/legal-request-counts") => ObjectBuilder::new()
                .schema_type(Type::Integer)
                .minimum(Some(custody::legal_report::FIRST_YEAR))
                .description(Some("The calendar year, not later than this one; this one when absent."))
                .build(),
            (false, "from" | "to") if path.ends_with("/statistics") => {
                let any: utoipa::openapi::Schema = serde_json::from_value(json!({
                    "anyOf": [
                        {"type": "string", "format": "date"},
                        {"type": "string", "enum": [""]}
                    ],
                    "description": "A day, `YYYY-MM-DD`; empty or absent takes the default."
                }))
                .ok()?;
                return Some(any.into());
            }
            _ => return None,
        };
        Some(schema.into())
    }
}

impl Modify for ServerRules {
    fn modify(&self, doc: &mut Document) {
        use utoipa::openapi::schema::Schema;
        use utoipa::openapi::RefOr;
        for (path, item) in doc.paths.paths.iter_mut() {
            let export = path == "/api/v1/directory/libraries.csv"
                || path == "/api/v1/directory/libraries.jsonld";
            for op in [
                &mut item.get,
                &mut item.put,
                &mut item.post,
                &mut item.delete,
                &mut item.patch,
            ]
            .into_iter()
            .flatten()
            {
                if let Some(params) = op.parameters.as_mut() {
                    if export {
                        // export_tagged drops both: every match is in the file.
                        params.retain(|p| {
                            !(p.parameter_in == ParameterIn::Query
                                && (p.name == "limit" || p.name == "cursor"))
                        });
                    }
                    for p in params.iter_mut() {
                        if p.parameter_in != ParameterIn::Query {
                            continue;
                        }
                        if let Some(s) = Self::query_schema(path, &p.name) {
                            p.schema = Some(s);
                        }
                    }
                }
            }
        }
        // A record's `kind`, in a body or a feed line, is one of the same kinds.
        let kinds = one_of(&Self::record_kinds(), "The record kind.");
        let Some(components) = doc.components.as_mut() else {
            return;
        };
        let mut record = None;
        if let Some(RefOr::T(Schema::Object(r))) = components.schemas.get_mut("NewRecord") {
            if let Some(kind) = r.properties.get_mut("kind") {
                *kind = kinds.into();
            }
            record = Some(r.clone());
        }
        // A feed line is a record with one field more, and refuses unknown
        // ones as a record does: an `allOf` of the record (which takes no
        // other properties) and `card_number` would admit no line with a card.
        if let Some(mut line) = record {
            // The derive's example, whatever shape it wrote FeedLine in.
            let example = components
                .schemas
                .get("FeedLine")
                .and_then(|s| serde_json::to_value(s).ok())
                .and_then(|v| v.get("example").cloned());
            line.properties.insert(
                "card_number".into(),
                utoipa::openapi::schema::ObjectBuilder::new()
                    .schema_type(utoipa::openapi::schema::SchemaType::from_iter([
                        utoipa::openapi::schema::Type::String,
                        utoipa::openapi::schema::Type::Null,
                    ]))
                    .description(Some(
                        "The patron's card number, when the feed knows the card and not the id.",
                    ))
                    .into(),
            );
            line.description = Some(
                "A line of a feed: a record, naming its patron by id or by card number.".into(),
            );
            line.example = example;
            components
                .schemas
                .insert("FeedLine".into(), Schema::Object(line).into());
        }
    }
}

/// A string schema that takes exactly `values`: for fields the server checks
/// against a list of its own, so the document and the check share the list.
pub fn one_of(values: &[&str], about: &str) -> utoipa::openapi::Object {
    use utoipa::openapi::schema::{ObjectBuilder, Type};
    ObjectBuilder::new()
        .schema_type(Type::String)
        .enum_values(Some(values.iter().copied()))
        .description(Some(about))
        .build()
}

/// [`one_of`] for an optional field that may also be null.
pub fn one_of_or_null(values: &[&str], about: &str) -> utoipa::openapi::Object {
    use utoipa::openapi::schema::{ObjectBuilder, SchemaType, Type};
    let mut all: Vec<serde_json::Value> = values.iter().map(|v| (*v).into()).collect();
    all.push(serde_json::Value::Null);
    ObjectBuilder::new()
        .schema_type(SchemaType::from_iter([Type::String, Type::Null]))
        .enum_values(Some(all))
        .description(Some(about))
        .build()
}

/// A problem+json response with `about` as its description.
pub fn problem_response(about: &str) -> utoipa::openapi::Response {
    ResponseBuilder::new()
        .description(about)
        .content(
            PROBLEM_JSON,
            ContentBuilder::new()
                .schema(Some(Ref::from_schema_name("Problem")))
                .build(),
        )
        .build()
}

/// Every operation of the document as `(path, method)`, method in lower case.
pub fn operations(doc: &Document) -> BTreeMap<String, Vec<&'static str>> {
    doc.paths
        .paths
        .iter()
        .map(|(path, item)| {
            let methods = [
                ("get", item.get.is_some()),
                ("put", item.put.is_some()),
                ("post", item.post.is_some()),
                ("delete", item.delete.is_some()),
                ("patch", item.patch.is_some()),
            ]
            .into_iter()
            .filter_map(|(m, has)| has.then_some(m))
            .collect();
            (path.clone(), methods)
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_document_serializes_with_unique_operation_ids_and_a_success_each() {
        let doc = document();
        let json = serde_json::to_value(&doc).unwrap_or_default();
        assert_eq!(json["openapi"], "3.1.0");
        let mut ids = std::collections::BTreeSet::new();
        for (path, item) in &doc.paths.paths {
            for op in [&item.get, &item.put, &item.post, &item.delete, &item.patch]
                .into_iter()
                .flatten()
            {
                let id = op.operation_id.clone().unwrap_or_default();
                assert!(!id.is_empty(), "{path}: an operation without operationId");
                assert!(ids.insert(id.clone()), "{path}: operationId {id} twice");
                assert!(
                    op.responses.responses.keys().any(|s| s.starts_with('2')),
                    "{path} {id}: no 2xx response"
                );
            }
        }
        assert!(ids.len() > 10, "only {} operations", ids.len());
    }
}
