//! The API reference at `/api/docs`, rendered from the OpenAPI document: the
//! same source the JSON document is, so the two cannot disagree.

use super::filters;
use super::layout::{Layout, DIRECTORY_NAV};
use crate::error::ApiError;
use askama::Template;
use serde_json::Value;

/// One tag's operations.
struct Group {
    name: String,
    about: String,
    ops: Vec<Op>,
}

/// One operation, as the page shows it.
struct Op {
    anchor: String,
    method: String,
    path: String,
    summary: String,
    description: String,
    auth: Vec<String>,
    params: Vec<Param>,
    body: Option<Body>,
    responses: Vec<Answer>,
}

struct Param {
    name: String,
    place: String,
    required: bool,
    about: String,
}

/// A request body: its media types, schema name and top-level fields.
struct Body {
    media: String,
    schema: String,
    fields: Vec<Field>,
}

struct Field {
    name: String,
    kind: String,
    required: bool,
    about: String,
}

struct Answer {
    status: String,
    about: String,
    media: String,
    schema: String,
}

#[derive(Template)]
#[template(path = "api_docs.html")]
struct Reference {
    layout: Layout,
    version: String,
    groups: Vec<Group>,
    schemes: Vec<(String, String)>,
}

fn str_of(v: &Value) -> String {
    v.as_str().unwrap_or_default().to_owned()
}

/// `#/components/schemas/Name` → `Name`; an inline schema by its type.
fn schema_name(s: &Value) -> String {
    if let Some(r) = s.get("$ref").and_then(Value::as_str) {
        return r.rsplit('/').next().unwrap_or(r).to_owned();
    }
    if let Some(items) = s.get("items") {
        return format!("array of {}", schema_name(items));
    }
    match s.get("type") {
        Some(Value::String(t)) => t.clone(),
        Some(Value::Array(ts)) => ts.iter().map(str_of).collect::<Vec<_>>().join(" or "),
        _ if s.get("oneOf").is_some() => "one of several".into(),
        _ => String::new(),
    }
}

fn resolve<'a>(doc: &'a Value, s: &'a Value) -> &'a Value {
    match s.get("$ref").and_then(Value::as_str) {
        Some(r) => doc["components"]["schemas"]
            .get(r.rsplit('/').next().unwrap_or(r))
            .unwrap_or(s),
        None => s,
    }
}

fn fields(doc: &Value, schema: &Value) -> Vec<Field> {
    let s = resolve(doc, schema);
    let required: Vec<&str> = s["required"]
        .as_array()
        .map(|r| r.iter().filter_map(Value::as_str).collect())
        .unwrap_or_default();
    s["properties"]
        .as_object()
        .map(|props| {
            props
                .iter()
                .map(|(name, p)| Field {
                    name: name.clone(),
                    kind: schema_name(p),
                    required: required.contains(&name.as_str()),
                    about: str_of(&p["description"]),
                })
                .collect()
        })
        .unwrap_or_default()
}

/// The first media type of a `content` map and its schema's name.
fn content(c: &Value) -> (String, String, Value) {
    match c.as_object().and_then(|m| m.iter().next()) {
        Some((media, v)) => (
            media.clone(),
            schema_name(&v["schema"]),
            v["schema"].clone(),
        ),
        None => (String::new(), String::new(), Value::Null),
    }
}

fn operation(doc: &Value, method: &str, path: &str, op: &Value) -> Op {
    let params = op["parameters"]
        .as_array()
        .map(|ps| {
            ps.iter()
                .map(|p| Param {
                    name: str_of(&p["name"]),
                    place: str_of(&p["in"]),
                    required: p["required"].as_bool().unwrap_or(false),
                    about: str_of(&p["description"]),
                })
                .collect()
        })
        .unwrap_or_default();
    let body = op.get("requestBody").map(|b| {
        let (media, schema, s) = content(&b["content"]);
        Body {
            media,
            schema,
            fields: fields(doc, &s),
        }
    });
    let responses = op["responses"]
        .as_object()
        .map(|rs| {
            rs.iter()
                .map(|(status, r)| {
                    let (media, schema, _) = content(&r["content"]);
                    Answer {
                        status: status.clone(),
                        about: str_of(&r["description"]),
                        media,
                        schema,
                    }
                })
                .collect()
        })
        .unwrap_or_default();
    let auth = op["security"]
        .as_array()
        .map(|reqs| {
            reqs.iter()
                .filter_map(Value::as_object)
                .flat_map(|m| m.keys().cloned())
                .collect()
        })
        .unwrap_or_default();
    let id = str_of(&op["operationId"]);
    Op {
        anchor: format!("op-{id}"),
        method: method.to_ascii_uppercase(),
        path: path.to_owned(),
        summary: str_of(&op["summary"]),
        description: str_of(&op["description"]),
        auth,
        params,
        body,
        responses,
    }
}

fn groups(doc: &Value) -> Vec<Group> {
    let mut groups: Vec<Group> = doc["tags"]
        .as_array()
        .map(|ts| {
            ts.iter()
                .map(|t| Group {
                    name: str_of(&t["name"]),
                    about: str_of(&t["description"]),
                    ops: Vec::new(),
                })
                .collect()
        })
        .unwrap_or_default();
    let Some(paths) = doc["paths"].as_object() else {
        return groups;
    };
    for (path, item) in paths {
        for method in ["get", "post", "put", "patch", "delete"] {
            let Some(op) = item.get(method) else { continue };
            let tag = op["tags"][0].as_str().unwrap_or("other").to_owned();
            let op = operation(doc, method, path, op);
            match groups.iter_mut().find(|g| g.name == tag) {
                Some(g) => g.ops.push(op),
                None => groups.push(Group {
                    name: tag,
                    about: String::new(),
                    ops: vec![op],
                }),
            }
        }
    }
    groups.retain(|g| !g.ops.is_empty());
    groups
}

/// The reference page.
pub fn page() -> Result<String, ApiError> {
    let doc = serde_json::to_value(crate::openapi::document())
        .map_err(|e| ApiError::Internal(format!("serializing the API document: {e}")))?;
    let schemes = doc["components"]["securitySchemes"]
        .as_object()
        .map(|m| {
            m.iter()
                .map(|(name, s)| (name.clone(), str_of(&s["description"])))
                .collect()
        })
        .unwrap_or_default();
    super::render(&Reference {
        layout: Layout::new("API reference: custodian", DIRECTORY_NAV),
        version: str_of(&doc["info"]["version"]),
        groups: groups(&doc),
        schemes,
    })
}

#[cfg(test)]
mod tests {
    #[test]
    fn the_reference_lists_operations_under_headings() {
        let html = super::page().unwrap_or_default();
        assert!(html.contains("<h1>API reference</h1>"), "{html}");
        assert!(html.contains("/api/v1/openapi.json"));
        assert!(html.contains("<h2 id=\"tag-meta\">"), "{html}");
    }
}
