//! Patrons signed in with their library, card number and PIN.
//!
//! A patron token reads `p<library id>.<random>`: the library id tells which
//! tenant scope to open to look the session up, so patron sessions live with
//! the rest of the library's confidential data. Only the token's SHA-256 is stored.

use crate::error::ApiError;
use crate::state::AppState;
use actix_web::dev::Payload;
use actix_web::{web, FromRequest, HttpRequest};
use custody::patron_sessions;
use custody::PatronSelf;
use futures_util::future::LocalBoxFuture;

pub use custody::patron_sessions::{LibraryId, PatronId};

/// The cookie carrying a patron's session in a browser.
pub const COOKIE: &str = "custodian_patron";

/// A new patron token for `library` and the hash it is stored under.
pub fn new_token(library: LibraryId) -> (String, Vec<u8>) {
    let (random, _) = crate::passwords::new_token();
    let token = format!("p{}.{random}", library.0);
    let hash = crate::passwords::token_hash(&token);
    (token, hash)
}

/// The library a patron token belongs to, if it is one.
pub fn token_library(token: &str) -> Option<LibraryId> {
    let (lib, rest) = token.strip_prefix('p')?.split_once('.')?;
    if rest.is_empty() {
        return None;
    }
    lib.parse().ok().map(LibraryId)
}

/// A new email-confirmation token for `library` (`e<library id>.<random>`) and the hash it is stored under.
pub fn new_email_token(library: LibraryId) -> (String, Vec<u8>) {
    let (random, _) = crate::passwords::new_token();
    let token = format!("e{}.{random}", library.0);
    let hash = crate::passwords::token_hash(&token);
    (token, hash)
}

/// The library an email-confirmation token belongs to, if it is one.
pub fn email_token_library(token: &str) -> Option<LibraryId> {
    if token.len() > 256 {
        return None;
    }
    let (lib, rest) = token.strip_prefix('e')?.split_once('.')?;
    if rest.is_empty() {
        return None;
    }
    lib.parse().ok().map(LibraryId)
}

/// A signed-in patron.
#[derive(Debug, Clone)]
pub struct PatronCaller {
    /// Their library.
    pub library: LibraryId,
    /// Who they are there.
    pub patron: PatronId,
    /// The hash of the token used, for signing out.
    pub token_hash: Vec<u8>,
}

impl PatronCaller {
    /// The patron acting on their own data, as custody knows them.
    pub fn own(&self) -> PatronSelf {
        PatronSelf {
            library: self.library,
            patron: self.patron,
        }
    }
}

impl FromRequest for PatronCaller {
    type Error = ApiError;
    type Future = LocalBoxFuture<'static, Result<Self, Self::Error>>;

    fn from_request(req: &HttpRequest, _: &mut Payload) -> Self::Future {
        let state = req.app_data::<web::Data<AppState>>().cloned();
        let token = crate::auth::presented(req, COOKIE);
        Box::pin(async move {
            let state =
                state.ok_or_else(|| ApiError::Internal("application state missing".into()))?;
            let token = token
                .filter(|t| t.len() <= 256)
                .ok_or(ApiError::Unauthenticated)?;
            let library = token_library(&token).ok_or(ApiError::Unauthenticated)?;
            let hash = crate::passwords::token_hash(&token);
            let lookup = hash.clone();
            let custody = state.custody.clone();
            let idle = state.settings.auth.idle();
            let found = web::block(move || {
                let now = chrono::Utc::now().naive_utc();
                patron_sessions::patron_of(&custody, library, &lookup, now, idle)
            })
            .await??;
            let patron = found.ok_or(ApiError::Unauthenticated)?;
            Ok(PatronCaller {
                library,
                patron,
                token_hash: hash,
            })
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn patron_tokens_name_their_library() {
        let (t, h) = new_token(LibraryId(42));
        assert_eq!(token_library(&t), Some(LibraryId(42)));
        assert_eq!(h, crate::passwords::token_hash(&t));
        assert_eq!(token_library("p.abc"), None);
        assert_eq!(token_library("p7."), None);
        assert_eq!(token_library("staff-token"), None);
        let (e, _) = new_email_token(LibraryId(7));
        assert_eq!(email_token_library(&e), Some(LibraryId(7)));
        assert_eq!(token_library(&e), None, "not a session token");
        assert_eq!(email_token_library(&t), None);
    }
}
