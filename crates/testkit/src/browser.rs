//! A browser for the in-process page tests: a cookie jar, `Accept:
//! text/html`, forms posted urlencoded, and no automatic redirects, so each
//! 303 is checked by the test that follows it.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use crate::app::TestApp;
use std::collections::HashMap;

/// A browser: a cookie jar, `Accept: text/html`, no automatic redirects.
pub struct Browser {
    /// `http://127.0.0.1:PORT`
    pub base: String,
    agent: ureq::Agent,
    /// The cookies the server set, by name.
    pub cookies: HashMap<String, String>,
    /// The backend, for failure messages.
    pub backend: &'static str,
}

/// One answer: status, the headers that matter, the body.
pub struct Page {
    /// The status code.
    pub status: u16,
    /// Where a redirect points.
    pub location: Option<String>,
    /// The content type.
    pub content_type: String,
    /// The Cache-Control header, empty when there is none.
    pub cache_control: String,
    /// The body.
    pub body: String,
}

impl Browser {
    /// A browser with no cookies, pointed at `app`.
    pub fn new(app: &TestApp) -> Self {
        Browser {
            base: app.url(""),
            agent: ureq::AgentBuilder::new().redirects(0).build(),
            cookies: HashMap::new(),
            backend: app.backend.name(),
        }
    }

    fn cookie_header(&self) -> String {
        self.cookies
            .iter()
            .map(|(k, v)| format!("{k}={v}"))
            .collect::<Vec<_>>()
            .join("; ")
    }

    fn finish(&mut self, r: Result<ureq::Response, ureq::Error>) -> Page {
        let r = match r {
            Ok(r) | Err(ureq::Error::Status(_, r)) => r,
            Err(e) => panic!("[{}] {e}", self.backend),
        };
        for c in r.all("set-cookie") {
            let pair = c.split(';').next().unwrap_or_default();
            let (name, value) = pair.split_once('=').unwrap();
            if value.is_empty() || c.contains("Max-Age=0") {
                self.cookies.remove(name);
            } else {
                self.cookies.insert(name.to_owned(), value.to_owned());
            }
        }
        Page {
            status: r.status(),
            location: r.header("location").map(str::to_owned),
            content_type: r.header("content-type").unwrap_or_default().to_owned(),
            cache_control: r.header("cache-control").unwrap_or_default().to_owned(),
            body: r.into_string().unwrap(),
        }
    }

    /// GETs `path` as a browser would.
    pub fn get(&mut self, path: &str) -> Page {
        let r = self
            .agent
            .get(&format!("{}{path}", self.base))
            .set("accept", "text/html,application/xhtml+xml")
            .set("cookie", &self.cookie_header())
            .call();
        self.finish(r)
    }

    /// Posts `form` urlencoded to `path`.
    pub fn post(&mut self, path: &str, form: &[(&str, &str)]) -> Page {
        let r = self
            .agent
            .post(&format!("{}{path}", self.base))
            .set("accept", "text/html,application/xhtml+xml")
            .set("cookie", &self.cookie_header())
            .send_form(form);
        self.finish(r)
    }
}

/// A file in a multipart form: the field, the file's name, its type, its bytes.
pub struct FilePart<'a> {
    /// The form field's name.
    pub field: &'a str,
    /// The file name the browser sends.
    pub name: &'a str,
    /// Its media type.
    pub content_type: &'a str,
    /// Its bytes.
    pub bytes: &'a [u8],
}

impl Browser {
    /// Posts `form` and `file` as `multipart/form-data`, as a file input's form does.
    pub fn post_multipart(
        &mut self,
        path: &str,
        form: &[(&str, &str)],
        file: FilePart<'_>,
    ) -> Page {
        let boundary = "----custodian-test-boundary-7MA4YWxkTrZu0gW";
        let mut body = Vec::new();
        for (k, v) in form {
            body.extend_from_slice(
                format!(
                    "--{boundary}\r\nContent-Disposition: form-data; name=\"{k}\"\r\n\r\n{v}\r\n"
                )
                .as_bytes(),
            );
        }
        body.extend_from_slice(
            format!(
                "--{boundary}\r\nContent-Disposition: form-data; name=\"{}\"; filename=\"{}\"\r\nContent-Type: {}\r\n\r\n",
                file.field, file.name, file.content_type
            )
            .as_bytes(),
        );
        body.extend_from_slice(file.bytes);
        body.extend_from_slice(format!("\r\n--{boundary}--\r\n").as_bytes());
        let r = self
            .agent
            .post(&format!("{}{path}", self.base))
            .set("accept", "text/html,application/xhtml+xml")
            .set("cookie", &self.cookie_header())
            .set(
                "content-type",
                &format!("multipart/form-data; boundary={boundary}"),
            )
            .send_bytes(&body);
        self.finish(r)
    }

    /// GETs `path` and returns the status, the headers that matter and the raw bytes.
    pub fn get_bytes(&mut self, path: &str) -> (u16, Option<String>, Vec<u8>) {
        let r = self
            .agent
            .get(&format!("{}{path}", self.base))
            .set("cookie", &self.cookie_header())
            .call();
        let r = match r {
            Ok(r) | Err(ureq::Error::Status(_, r)) => r,
            Err(e) => panic!("[{}] {e}", self.backend),
        };
        let status = r.status();
        let disposition = r.header("content-disposition").map(str::to_owned);
        let mut bytes = Vec::new();
        std::io::Read::read_to_end(&mut r.into_reader(), &mut bytes).unwrap();
        (status, disposition, bytes)
    }
}

/// The value of the hidden CSRF field on a page.
pub fn csrf_of(html: &str) -> String {
    let at = html
        .find("name=\"csrf\" value=\"")
        .unwrap_or_else(|| panic!("no CSRF field in {html}"));
    let rest = &html[at + "name=\"csrf\" value=\"".len()..];
    rest[..rest.find('"').unwrap()].to_owned()
}

/// Signs in through the form and follows the 303, returning where it led.
pub fn sign_in(b: &mut Browser, email: &str, password: &str) -> (String, Page) {
    let form = b.get("/sign-in");
    assert_eq!(form.status, 200, "[{}] {}", b.backend, form.body);
    let csrf = csrf_of(&form.body);
    let r = b.post(
        "/sign-in",
        &[("csrf", &csrf), ("email", email), ("password", password)],
    );
    assert_eq!(r.status, 303, "[{}] {}", b.backend, r.body);
    let to = r.location.unwrap();
    let landed = b.get(&to);
    (to, landed)
}

/// Signs a patron in through `/my/sign-in` and follows the 303.
pub fn my_sign_in(b: &mut Browser, library: &str, card: &str, pin: &str) -> (String, Page) {
    let form = b.get("/my/sign-in");
    assert_eq!(form.status, 200, "[{}] {}", b.backend, form.body);
    let csrf = csrf_of(&form.body);
    let r = b.post(
        "/my/sign-in",
        &[
            ("csrf", &csrf),
            ("library", library),
            ("card_number", card),
            ("pin", pin),
        ],
    );
    assert_eq!(r.status, 303, "[{}] {}", b.backend, r.body);
    let to = r.location.unwrap();
    let landed = b.get(&to);
    (to, landed)
}
