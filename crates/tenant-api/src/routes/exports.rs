//! Exports for a purpose (#16): `GET
//! /api/v1/libraries/{library}/exports/{use_key}` (the library's admin), the
//! name and email of every patron the policy's optional use `use_key` may
//! reach, as JSON or `?format=csv`, leaving out those who opted out of it.
use super::blocking;
use crate::error::{ApiError, ApiResult};
use crate::guards::LibraryAdmin;
use crate::state::AppState;
use actix_web::http::header;
use actix_web::{web, HttpResponse};
use custody::exports::{self, UseContact, UseExport};

/// The export endpoint of the OpenAPI document.
#[derive(utoipa::OpenApi)]
#[openapi(paths(for_use), components(schemas(UseExport, UseContact)))]
pub struct ApiDoc;
use serde::Deserialize;

/// `?format=json` (the default) or `csv`.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct FormatQuery {
    /// `json` or `csv`.
    pub format: Option<String>,
}

/// The contacts a use may reach; 400 naming `use_key` when the library's
/// policy in force has no such use.
#[utoipa::path(get, path = "/api/v1/libraries/{library}/exports/{use_key}", tag = "exports",
    operation_id = "export_for_use",
    params(("library" = String, Path, description = "The library's slug", example = "riverside"),
        ("use_key" = String, Path, description = "An optional use of the library's policy in force", example = "reading_program"),
        ("format" = Option<String>, Query, description = "`json` (the default) or `csv`", pattern = "^(json|csv)$"),
    ),
    responses(
        (status = 200, description = "Name and email of every patron the use may reach (`Cache-Control: no-store`)", content(
            (UseExport = "application/json"),
            (String = "text/csv", example = "name,email\n"),
        )),
        (status = 400, description = "`format` is not json or csv, or the policy in force has no such use (`field`: `use_key`)", body = crate::openapi::Problem, content_type = "application/problem+json"),
        (status = 403, description = "Not an admin of the library", body = crate::openapi::Problem, content_type = "application/problem+json"),
    ),
    security(("session_cookie" = []), ("bearer" = [])))]
pub async fn for_use(
    state: web::Data<AppState>,
    admin: LibraryAdmin,
    path: web::Path<(String, String)>,
    q: web::Query<FormatQuery>,
) -> ApiResult<HttpResponse> {
    let csv = match q.format.as_deref() {
        None | Some("json") => false,
        Some("csv") => true,
        Some(_) => {
            return Err(ApiError::Invalid {
                field: "format".into(),
                detail: "format is json or csv".into(),
            })
        }
    };
    let use_key = path.into_inner().1;
    let (custody, who, key) = (state.custody.clone(), admin.0.member(), use_key.clone());
    let export = blocking(move || Ok(exports::for_use(&custody, &who, &key)?)).await?;
    let mut res = HttpResponse::Ok();
    // Personal data: never kept by a cache on the way.
    res.insert_header((header::CACHE_CONTROL, "no-store"));
    if csv {
        // The key is lowercase letters, digits and _ (the policy named it).
        Ok(res
            .content_type("text/csv; charset=utf-8")
            .insert_header((
                header::CONTENT_DISPOSITION,
                format!(
                    "attachment; filename=\"{}-{}.csv\"",
                    admin.0.library.slug, export.use_view.key
                ),
            ))
            .body(exports::as_csv(&export)))
    } else {
        Ok(res.json(export))
    }
}

/// Registers the export endpoints under `/api/v1`.
pub fn configure(cfg: &mut web::ServiceConfig) {
    cfg.service(resource!("/libraries/{library}/exports/{use_key}", get => for_use));
}

#[cfg(test)]
mod openapi_tests {
    use serde_json::Value;

    /// Every operation w-oapi2 describes, as `(method, path)`.
    const OPERATIONS: [(&str, &str); 33] = [
        ("post", "/api/v1/libraries/{library}/legal-requests"),
        ("get", "/api/v1/libraries/{library}/legal-requests"),
        ("get", "/api/v1/libraries/{library}/legal-requests/{id}"),
        (
            "post",
            "/api/v1/libraries/{library}/legal-requests/{id}/decision",
        ),
        (
            "get",
            "/api/v1/libraries/{library}/legal-requests/{id}/decision",
        ),
        (
            "get",
            "/api/v1/libraries/{library}/legal-requests/{id}/package",
        ),
        (
            "post",
            "/api/v1/libraries/{library}/legal-requests/{id}/time",
        ),
        (
            "get",
            "/api/v1/libraries/{library}/legal-requests/{id}/invoice",
        ),
        (
            "post",
            "/api/v1/libraries/{library}/legal-requests/{id}/documents",
        ),
        (
            "get",
            "/api/v1/libraries/{library}/legal-requests/{id}/documents",
        ),
        (
            "get",
            "/api/v1/libraries/{library}/legal-requests/{id}/documents/{document}",
        ),
        ("get", "/api/v1/libraries/{library}/legal-request-counts"),
        ("get", "/api/v1/libraries/{library}/legal-settings"),
        ("put", "/api/v1/libraries/{library}/legal-settings"),
        ("post", "/api/v1/libraries/{library}/vendors"),
        ("get", "/api/v1/libraries/{library}/vendors"),
        ("get", "/api/v1/libraries/{library}/vendors/{id}"),
        ("patch", "/api/v1/libraries/{library}/vendors/{id}"),
        ("post", "/api/v1/libraries/{library}/vendors/{id}/keys"),
        ("get", "/api/v1/libraries/{library}/vendors/{id}/keys"),
        (
            "delete",
            "/api/v1/libraries/{library}/vendors/{id}/keys/{key}",
        ),
        ("get", "/api/v1/public/libraries/{library}/vendors"),
        ("post", "/api/v1/vendor/patron-status"),
        ("get", "/api/v1/libraries/{library}/statistics"),
        ("get", "/api/v1/director/statistics"),
        ("get", "/api/v1/libraries/{library}/retention"),
        ("put", "/api/v1/libraries/{library}/retention"),
        ("post", "/api/v1/libraries/{library}/retention/run"),
        (
            "post",
            "/api/v1/libraries/{library}/privacy-policy/versions",
        ),
        ("get", "/api/v1/public/libraries/{library}/privacy"),
        (
            "get",
            "/api/v1/public/libraries/{library}/privacy/difference",
        ),
        ("get", "/api/v1/patron/me/opt-outs"),
        ("put", "/api/v1/patron/me/opt-outs"),
    ];

    fn document() -> Value {
        serde_json::to_value(crate::openapi::document()).unwrap_or_default()
    }

    fn schema<'a>(doc: &'a Value, name: &str) -> &'a Value {
        &doc["components"]["schemas"][name]
    }

    #[test]
    fn each_operation_has_a_success_and_problem_json_errors() {
        let doc = document();
        let mut all = OPERATIONS.to_vec();
        all.extend([
            ("get", "/api/v1/patron/me/policy-notice"),
            ("post", "/api/v1/patron/me/policy-notice/dismiss"),
            ("get", "/api/v1/libraries/{library}/exports/{use_key}"),
        ]);
        for (method, path) in all {
            let op = &doc["paths"][path][method];
            assert!(op.is_object(), "{method} {path} is not in the document");
            assert!(
                op["operationId"].is_string(),
                "{method} {path}: no operationId"
            );
            let responses = op["responses"].as_object().cloned().unwrap_or_default();
            assert!(
                responses.keys().any(|s| s.starts_with('2')),
                "{method} {path}: no 2xx"
            );
            for (status, r) in &responses {
                if status.starts_with('4') || status.starts_with('5') {
                    assert!(
                        r["content"]["application/problem+json"].is_object(),
                        "{method} {path} {status}: not problem+json"
                    );
                }
            }
            // Public operations have none: they take no credentials.
            let public = path.starts_with("/api/v1/public/");
            assert_eq!(
                op["security"].is_array(),
                !public,
                "{method} {path}: security requirement"
            );
        }
    }

    #[test]
    fn every_reference_resolves() {
        let doc = document();
        fn refs(v: &Value, out: &mut Vec<String>) {
            match v {
                Value::Object(m) => {
                    if let Some(Value::String(r)) = m.get("$ref") {
                        out.push(r.clone());
                    }
                    m.values().for_each(|v| refs(v, out));
                }
                Value::Array(a) => a.iter().for_each(|v| refs(v, out)),
                _ => {}
            }
        }
        let mut all = Vec::new();
        refs(&doc, &mut all);
        for r in all {
            let name = r.trim_start_matches("#/components/schemas/");
            assert!(schema(&doc, name).is_object(), "{r} does not resolve");
        }
    }

    #[test]
    fn csv_and_html_answers_are_documented_beside_json() {
        let doc = document();
        for (path, other) in [
            (
                "/api/v1/libraries/{library}/legal-requests/{id}/package",
                "text/csv",
            ),
            (
                "/api/v1/libraries/{library}/legal-requests/{id}/invoice",
                "text/html",
            ),
            ("/api/v1/libraries/{library}/statistics", "text/csv"),
            ("/api/v1/director/statistics", "text/csv"),
            ("/api/v1/libraries/{library}/exports/{use_key}", "text/csv"),
        ] {
            let content = &doc["paths"][path]["get"]["responses"]["200"]["content"];
            assert!(content["application/json"].is_object(), "{path}: no JSON");
            assert!(content[other].is_object(), "{path}: no {other}");
        }
    }

    #[test]
    fn schemas_say_what_is_serialized() {
        let doc = document();
        // Lists are wrapped in `items`.
        let list = schema(&doc, "VendorList");
        assert_eq!(list["properties"]["items"]["type"], "array", "{list}");
        // A suppressed count is null, days are dates.
        let cell = schema(&doc, "DayCell");
        assert_eq!(cell["properties"]["day"]["format"], "date", "{cell}");
        let count = cell["properties"]["count"]["type"].to_string();
        assert!(count.contains("null"), "{cell}");
        // Enums as their serde names.
        let method = schema(&doc, "PurgeMethod");
        assert_eq!(method["enum"], serde_json::json!(["anonymize", "delete"]));
        // The vendor's `use` keeps its wire name.
        let vendor = schema(&doc, "VendorView");
        assert!(vendor["properties"]["use"].is_object(), "{vendor}");
        assert_eq!(
            vendor["properties"]["created_at"]["format"], "date-time",
            "{vendor}"
        );
        // Request bodies refuse unknown fields, as serde does.
        let contract = schema(&doc, "NewContract");
        assert_eq!(contract["additionalProperties"], false, "{contract}");
    }
}
