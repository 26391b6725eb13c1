//! A small blocking HTTP client for tests, and what a response showed.
//!
//! The black-box suite (the real binary) and the in-process `TestApp` both
//! speak through it, so a test reads the same whichever way the server runs.

use serde_json::Value;
use std::collections::HashMap;
use std::time::Duration;

/// What a response showed.
#[derive(Debug)]
pub struct Reply {
    /// The status code.
    pub status: u16,
    /// Every header, names in lower case, values in order.
    pub headers: HashMap<String, Vec<String>>,
    /// The body: JSON when it parses, a string otherwise, null when empty.
    pub body: Value,
    /// The backend that answered (`[postgres+redis]`), prefixed to assertion
    /// messages; empty when the caller did not say.
    pub backend: &'static str,
}

impl Reply {
    /// The first value of a header (name in lower case).
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .get(name)
            .and_then(|v| v.first())
            .map(String::as_str)
    }

    /// Asserts a problem+json answer of the given status and type slug.
    pub fn assert_problem(&self, status: u16, slug: &str) {
        let on = self.on();
        assert_eq!(self.status, status, "{on}{:?}", self.body);
        assert_eq!(
            self.header("content-type"),
            Some("application/problem+json"),
            "{on}{:?}",
            self.headers
        );
        assert_eq!(
            self.body["type"],
            format!("urn:custodian:problem:{slug}"),
            "{on}{:?}",
            self.body
        );
        assert_eq!(self.body["status"], status, "{on}{:?}", self.body);
        assert!(
            self.body["title"].as_str().is_some_and(|t| !t.is_empty()),
            "{on}{:?}",
            self.body
        );
        assert!(
            self.body["detail"].as_str().is_some_and(|t| !t.is_empty()),
            "{on}{:?}",
            self.body
        );
    }

    /// Asserts the status, naming the backend and showing the body if it differs.
    pub fn assert_status(&self, status: u16) -> &Self {
        assert_eq!(self.status, status, "{}{:?}", self.on(), self.body);
        self
    }

    /// `"[sqlite] "` for messages, or nothing when the backend is unknown.
    pub fn on(&self) -> String {
        if self.backend.is_empty() {
            String::new()
        } else {
            format!("[{}] ", self.backend)
        }
    }
}

fn agent() -> ureq::Agent {
    ureq::AgentBuilder::new()
        .timeout(Duration::from_secs(30))
        .build()
}

fn finish(result: Result<ureq::Response, ureq::Error>) -> Reply {
    let resp = match result {
        Ok(r) => r,
        Err(ureq::Error::Status(_, r)) => r,
        Err(e) => panic!("request failed: {e}"),
    };
    let status = resp.status();
    let mut headers: HashMap<String, Vec<String>> = HashMap::new();
    for name in resp.headers_names() {
        let values = resp.all(&name).into_iter().map(str::to_owned).collect();
        headers.insert(name.to_lowercase(), values);
    }
    let text = resp.into_string().unwrap_or_default();
    let body = if text.is_empty() {
        Value::Null
    } else {
        serde_json::from_str(&text).unwrap_or(Value::String(text))
    };
    Reply {
        status,
        headers,
        body,
        backend: "",
    }
}

fn with_auth(req: ureq::Request, token: Option<&str>) -> ureq::Request {
    match token {
        Some(t) => req.set("Authorization", &format!("Bearer {t}")),
        None => req,
    }
}

/// GET, with a bearer token when given.
pub fn get(url: &str, token: Option<&str>) -> Reply {
    finish(with_auth(agent().get(url), token).call())
}

/// GET with a `Cookie` header.
pub fn get_with_cookie(url: &str, cookie: &str) -> Reply {
    finish(agent().get(url).set("Cookie", cookie).call())
}

/// POST a JSON body, with a bearer token when given.
pub fn post(url: &str, token: Option<&str>, body: &Value) -> Reply {
    finish(with_auth(agent().post(url), token).send_json(body.clone()))
}

/// POST a body of any content type, unauthenticated.
pub fn post_raw(url: &str, content_type: &str, body: &str) -> Reply {
    finish(
        agent()
            .post(url)
            .set("Content-Type", content_type)
            .send_string(body),
    )
}

/// POST with a `Cookie` header and no body.
pub fn post_with_cookie(url: &str, cookie: &str) -> Reply {
    finish(agent().post(url).set("Cookie", cookie).call())
}

/// PATCH a JSON body.
pub fn patch(url: &str, token: Option<&str>, body: &Value) -> Reply {
    finish(with_auth(agent().request("PATCH", url), token).send_json(body.clone()))
}

/// DELETE.
pub fn delete(url: &str, token: Option<&str>) -> Reply {
    finish(with_auth(agent().delete(url), token).call())
}

/// PUT a JSON body.
pub fn put(url: &str, token: Option<&str>, body: &Value) -> Reply {
    finish(with_auth(agent().put(url), token).send_json(body.clone()))
}

/// POST a body of any content type with a bearer token.
pub fn post_raw_auth(url: &str, token: &str, content_type: &str, body: &str) -> Reply {
    finish(
        with_auth(agent().post(url), Some(token))
            .set("Content-Type", content_type)
            .send_string(body),
    )
}

/// POST NDJSON, with a bearer token when given.
pub fn post_raw_auth_opt(url: &str, token: Option<&str>, body: &str) -> Reply {
    finish(
        with_auth(agent().post(url), token)
            .set("Content-Type", "application/x-ndjson")
            .send_string(body),
    )
}

/// POST raw bytes with a bearer token.
pub fn post_bytes_auth(url: &str, token: &str, content_type: &str, body: &[u8]) -> Reply {
    finish(
        with_auth(agent().post(url), Some(token))
            .set("Content-Type", content_type)
            .send_bytes(body),
    )
}

/// Any request with the given headers and an optional JSON body, for tests
/// that vary the credentials' form (cookie, scheme spelling).
pub fn request(method: &str, url: &str, headers: &[(&str, &str)], body: Option<&Value>) -> Reply {
    let mut req = agent().request(method, url);
    for (k, v) in headers {
        req = req.set(k, v);
    }
    finish(match body {
        Some(b) => req.send_json(b.clone()),
        None => req.call(),
    })
}

/// POST a JSON body with the given headers.
pub fn post_with_headers(url: &str, headers: &[(&str, &str)], body: &Value) -> Reply {
    let mut req = agent().post(url);
    for (k, v) in headers {
        req = req.set(k, v);
    }
    finish(req.send_json(body.clone()))
}

/// A running custodian at some base URL: the real binary or the app in
/// process, so the same request helpers serve both suites.
pub trait Served {
    /// The full URL of `path`.
    fn url(&self, path: &str) -> String;
}

/// Registers a patron as the staff member holding `token`; asserts 201 and returns the body.
pub fn register(server: &impl Served, token: &str, library: &str, body: Value) -> Value {
    let r = post(
        &server.url(&format!("/api/v1/libraries/{library}/patrons")),
        Some(token),
        &body,
    );
    assert_eq!(r.status, 201, "{:?}", r.body);
    r.body
}

/// A patron's sign-in attempt at `library`, whatever it answers.
pub fn patron_sign_in(server: &impl Served, library: &str, card: &str, pin: &str) -> Reply {
    post(
        &server.url(&format!("/api/v1/libraries/{library}/patron/sign-in")),
        None,
        &serde_json::json!({"card_number": card, "pin": pin}),
    )
}

/// Where a library's staff are listed and added.
pub fn staff_url(server: &impl Served, library: &str) -> String {
    server.url(&format!("/api/v1/libraries/{library}/staff"))
}

/// A sign-in attempt with any body, whatever it answers.
pub fn sign_in_with(server: &impl Served, body: Value) -> Reply {
    post(&server.url("/api/v1/auth/sign-in"), None, &body)
}
