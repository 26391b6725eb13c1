//! Cross-site request forgery tokens for the HTML forms.
//!
//! A form that changes something while signed in carries, in the hidden field
//! [`FIELD`], HMAC-SHA256 of a fixed label keyed with the session token the
//! browser's cookie holds. Only a page this server rendered for that session
//! can know it: another site can make the browser send the cookie but cannot
//! read it, and the database holds only the token's SHA-256, from which the
//! HMAC cannot be made. It needs no server key and no storage, and it dies with
//! the session.
//!
//! The sign-in forms come before any session, so they use a double-submit
//! cookie: a random value in the SameSite=Strict cookie [`PRE_SESSION_COOKIE`]
//! and the same value in the form; a forged post has the cookie but cannot
//! read it to put it in the form.
//!
//! Every check runs before the handler changes anything, and a refusal is
//! [`ApiError::CsrfRejected`] (403).

use crate::error::ApiError;
use actix_web::cookie::{time::Duration as CookieDuration, Cookie, SameSite};
use actix_web::HttpRequest;
use hmac::{Hmac, Mac};
use sha2::Sha256;

/// The hidden form field carrying the token.
pub const FIELD: &str = "csrf";

/// The cookie of the double-submit token the sign-in forms use.
pub const PRE_SESSION_COOKIE: &str = "custodian_csrf";

/// What the HMAC signs; a new version invalidates every old token.
const LABEL: &[u8] = b"custodian csrf v1";

/// The token for forms posted within the session whose token is `session_token`.
pub fn session_token(session_token: &str) -> String {
    // HMAC accepts keys of any length, so this cannot fail; the fallback only
    // keeps the signature total (an empty token never matches a form's).
    match Hmac::<Sha256>::new_from_slice(session_token.as_bytes()) {
        Ok(mut mac) => {
            mac.update(LABEL);
            hex::encode(mac.finalize().into_bytes())
        }
        Err(_) => String::new(),
    }
}

/// The token for the session in the cookie `cookie` of this request, if there is one.
pub fn for_request(req: &HttpRequest, cookie: &str) -> Option<String> {
    req.cookie(cookie)
        .map(|c| c.value().to_owned())
        .filter(|t| !t.is_empty())
        .map(|t| session_token(&t))
}

/// Refuses unless `sent` is the token of the session in the cookie `cookie`.
pub fn check_session(req: &HttpRequest, cookie: &str, sent: &str) -> Result<(), ApiError> {
    match for_request(req, cookie) {
        Some(expected) if same(&expected, sent) => Ok(()),
        _ => Err(ApiError::CsrfRejected),
    }
}

/// The double-submit value for a sign-in form: the browser's, or a new one
/// together with the cookie that hands it out.
pub fn pre_session(req: &HttpRequest, secure: bool) -> (String, Option<Cookie<'static>>) {
    if let Some(c) = req.cookie(PRE_SESSION_COOKIE) {
        if valid_shape(c.value()) {
            return (c.value().to_owned(), None);
        }
    }
    let (value, _) = crate::passwords::new_token();
    let cookie = Cookie::build(PRE_SESSION_COOKIE, value.clone())
        .path("/")
        .http_only(true)
        .same_site(SameSite::Strict)
        .secure(secure)
        .max_age(CookieDuration::hours(12))
        .finish();
    (value, Some(cookie))
}

/// Refuses unless the form's value `sent` is the one in the double-submit cookie.
pub fn check_pre_session(req: &HttpRequest, sent: &str) -> Result<(), ApiError> {
    match req.cookie(PRE_SESSION_COOKIE) {
        Some(c) if valid_shape(c.value()) && same(c.value(), sent) => Ok(()),
        _ => Err(ApiError::CsrfRejected),
    }
}

/// A value `passwords::new_token` could have made (43 URL-safe characters),
/// so a planted empty or odd cookie is never taken as a token.
fn valid_shape(v: &str) -> bool {
    v.len() == 43
        && v.bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
}

/// Compares in time independent of where the strings differ.
fn same(a: &str, b: &str) -> bool {
    a.len() == b.len()
        && a.bytes()
            .zip(b.bytes())
            .fold(0u8, |acc, (x, y)| acc | (x ^ y))
            == 0
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_session_token_is_bound_to_its_session() {
        let a = session_token("session-a");
        assert_eq!(a, session_token("session-a"));
        assert_ne!(a, session_token("session-b"));
        assert_eq!(a.len(), 64);
        assert!(same(&a, &a) && !same(&a, "") && !same(&a, &session_token("x")));
    }

    #[test]
    fn only_generated_values_pass_as_double_submit_tokens() {
        let (t, _) = crate::passwords::new_token();
        assert!(valid_shape(&t));
        assert!(!valid_shape(""));
        assert!(!valid_shape(&"a".repeat(42)));
    }
}
