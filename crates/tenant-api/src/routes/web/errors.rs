//! Failures as pages for browsers: a request outside `/api/` from a client
//! that accepts `text/html` gets the problem's own title and detail in the
//! layout instead of problem+json. API clients, and anything that does not ask
//! for HTML, keep problem+json, so no JSON endpoint changes.

use crate::pages::layout::NavLink;
use actix_web::body::{BoxBody, MessageBody};
use actix_web::dev::{ServiceRequest, ServiceResponse};
use actix_web::http::header::{self, HeaderValue};
use actix_web::middleware::Next;

/// The problem fields an error page shows.
#[derive(serde::Deserialize)]
struct Problem {
    #[serde(rename = "type", default)]
    kind: String,
    #[serde(default)]
    title: String,
    #[serde(default)]
    detail: String,
}

/// Whether the client asks for HTML (a browser's navigation does).
fn wants_html(req: &ServiceRequest) -> bool {
    !req.path().starts_with("/api/")
        && req
            .headers()
            .get(header::ACCEPT)
            .and_then(|v| v.to_str().ok())
            .is_some_and(|a| a.contains("text/html"))
}

fn is_problem(res: &ServiceResponse<impl MessageBody>) -> bool {
    res.headers()
        .get(header::CONTENT_TYPE)
        .is_some_and(|v| v.as_bytes().starts_with(b"application/problem+json"))
}

/// The detail a browser reads: the API's, except where it speaks of API calls,
/// with the sign-in that fits the page (a patron's under `/my`).
fn browser_detail(p: &Problem, patron_page: bool) -> (String, Option<NavLink>) {
    if p.kind != "urn:custodian:problem:unauthenticated" {
        return (p.detail.clone(), None);
    }
    let link = if patron_page {
        NavLink::fixed("/my/sign-in", "Patron sign-in")
    } else {
        NavLink::fixed("/sign-in", "Staff sign-in")
    };
    (
        "This page is for signed-in users, and you are not signed in (or your session has ended). Sign in, then open the page again.".into(),
        Some(link),
    )
}

/// The words of a failure on our side, for someone who cannot read headers:
/// the reference an administrator needs is in the text. `None` for a problem
/// whose own detail already says what to do.
fn failure_words(kind: &str, reference: Option<&str>) -> Option<String> {
    let what = match kind {
        "urn:custodian:problem:internal" => {
            "Something failed on our side and was logged; nothing you did caused it."
        }
        "urn:custodian:problem:unavailable" => {
            "custodian cannot reach its database or a service it depends on."
        }
        _ => return None,
    };
    let tell = match reference {
        Some(id) => format!("tell your administrator and give this reference: {id}"),
        None => "tell your administrator the time it happened".into(),
    };
    Some(format!(
        "{what} Try again in a minute. If it keeps happening, {tell}."
    ))
}

/// Turns a problem+json answer into an error page for a browser.
pub async fn html_errors(
    req: ServiceRequest,
    next: Next<impl MessageBody + 'static>,
) -> Result<ServiceResponse<BoxBody>, actix_web::Error> {
    let html = wants_html(&req);
    let patron_page = req.path() == "/my" || req.path().starts_with("/my/");
    let res = next.call(req).await?;
    if !html || !is_problem(&res) {
        return Ok(res.map_into_boxed_body());
    }
    let (req, res) = res.into_parts();
    let status = res.status();
    let mut headers = res.headers().clone();
    let body = actix_web::body::to_bytes(res.into_body())
        .await
        .unwrap_or_default();
    let problem: Problem = match serde_json::from_slice(&body) {
        Ok(p) => p,
        Err(_) => Problem {
            kind: String::new(),
            title: "Something went wrong".into(),
            detail: String::new(),
        },
    };
    let (mut detail, next) = browser_detail(&problem, patron_page);
    let reference = headers
        .get(crate::telemetry::REQUEST_ID)
        .and_then(|v| v.to_str().ok())
        .map(str::to_owned);
    if let Some(words) = failure_words(&problem.kind, reference.as_deref()) {
        detail = words;
    }
    let page =
        match crate::pages::signin::error_page(status.as_u16(), &problem.title, &detail, next) {
            Ok(page) => page,
            // The template is compiled in; if it ever fails, the problem itself still says what happened.
            Err(_) => {
                let mut res = actix_web::HttpResponse::build(status);
                for (k, v) in headers.iter() {
                    res.insert_header((k.clone(), v.clone()));
                }
                return Ok(ServiceResponse::new(req, res.body(body)));
            }
        };
    headers.remove(header::CONTENT_LENGTH);
    headers.remove(header::WWW_AUTHENTICATE);
    headers.insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static(crate::pages::HTML),
    );
    headers.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    let mut out = actix_web::HttpResponse::build(status);
    for (k, v) in headers.iter() {
        out.append_header((k.clone(), v.clone()));
    }
    Ok(ServiceResponse::new(req, out.body(page)))
}

#[cfg(test)]
mod tests {
    use super::failure_words;

    #[test]
    fn a_failure_page_gives_the_reference_in_words_not_a_header_name() {
        let words = failure_words("urn:custodian:problem:internal", Some("7f3a")).unwrap();
        assert!(words.ends_with("give this reference: 7f3a."), "{words}");
        assert!(!words.contains("header"), "{words}");
        assert!(failure_words("urn:custodian:problem:unavailable", None)
            .unwrap()
            .contains("the time it happened"));
        assert_eq!(
            failure_words("urn:custodian:problem:not-found", Some("x")),
            None
        );
    }
}
