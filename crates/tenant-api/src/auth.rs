//! Who is calling: session cookies for browsers, bearer tokens for scripts.

use crate::error::ApiError;
use crate::state::AppState;
use actix_web::dev::Payload;
use actix_web::{web, FromRequest, HttpRequest};
use custody::accounts::{self, Account, AccountId};
use custody::Library;
use futures_util::future::LocalBoxFuture;
use policy::staff::Standing;

/// The name of the session cookie.
pub const COOKIE: &str = "custodian_session";

/// A signed-in account.
#[derive(Debug, Clone)]
pub struct Caller {
    /// The account's id.
    pub id: AccountId,
    /// Whether it is the consortium director.
    pub is_director: bool,
    /// The name colleagues see (the header of every signed-in page shows it).
    pub display_name: String,
    /// The stored hash of the token that authenticated this request.
    pub token_hash: Vec<u8>,
}

impl Caller {
    fn from_account(a: &Account, token_hash: Vec<u8>) -> Self {
        Caller {
            id: a.id,
            is_director: a.is_director,
            display_name: a.display_name.clone(),
            token_hash,
        }
    }
}

/// The token of an `Authorization: Bearer …` header (the scheme in any case), if the request has that header.
///
/// `Some(None)` is a header that is present but not a bearer token: it must
/// not fall back to a cookie, or a broken script would silently act as the
/// browser's session.
pub fn bearer(req: &HttpRequest) -> Option<Option<String>> {
    let value = req.headers().get(actix_web::http::header::AUTHORIZATION)?;
    let token = value.to_str().ok().and_then(|v| {
        let (scheme, token) = v.split_once(' ')?;
        scheme
            .eq_ignore_ascii_case("bearer")
            .then(|| token.trim().to_owned())
    });
    Some(token)
}

/// The token a request carries: `Authorization: Bearer …` first, then the cookie named `cookie`.
pub fn presented(req: &HttpRequest, cookie: &str) -> Option<String> {
    match bearer(req) {
        Some(token) => token,
        None => req.cookie(cookie).map(|c| c.value().to_owned()),
    }
}

/// The staff token a request carries.
pub fn presented_token(req: &HttpRequest) -> Option<String> {
    presented(req, COOKIE)
}

fn state(req: &HttpRequest) -> Result<web::Data<AppState>, ApiError> {
    req.app_data::<web::Data<AppState>>()
        .cloned()
        .ok_or_else(|| ApiError::Internal("application state missing".into()))
}

impl FromRequest for Caller {
    type Error = ApiError;
    type Future = LocalBoxFuture<'static, Result<Self, Self::Error>>;

    fn from_request(req: &HttpRequest, _: &mut Payload) -> Self::Future {
        let state = state(req);
        let token = presented_token(req);
        Box::pin(async move {
            let state = state?;
            let token = token
                .filter(|t| !t.is_empty() && t.len() <= 256)
                .ok_or(ApiError::Unauthenticated)?;
            let hash = crate::passwords::token_hash(&token);
            let store = state.store.clone();
            let lookup = hash.clone();
            let idle = state.settings.auth.idle();
            let account =
                web::block(move || accounts::session_account(&store, &lookup, idle)).await??;
            match account {
                Some(a) => Ok(Caller::from_account(&a, hash)),
                None => Err(ApiError::Unauthenticated),
            }
        })
    }
}

/// A signed-in caller together with a library named in the path, and how the caller stands there.
///
/// A library the caller has no standing in is not distinguished from one that
/// does not exist: handlers turn [`policy::staff::StaffDecision::Hidden`] into 404.
pub struct LibraryAccess {
    /// Who is calling.
    pub caller: Caller,
    /// The library in the path.
    pub library: Library,
    /// The caller's standing at that library.
    pub standing: Standing,
}

impl FromRequest for LibraryAccess {
    type Error = ApiError;
    type Future = LocalBoxFuture<'static, Result<Self, Self::Error>>;

    fn from_request(req: &HttpRequest, payload: &mut Payload) -> Self::Future {
        let state = state(req);
        let slug = req.match_info().get("library").map(str::to_owned);
        let caller = Caller::from_request(req, payload);
        Box::pin(async move {
            let caller = caller.await?;
            let state = state?;
            let slug = slug.ok_or(ApiError::NotFound)?;
            let store = state.store.clone();
            let (id, director) = (caller.id, caller.is_director);
            let (library, standing) =
                web::block(move || accounts::standing(&store, &slug, id, director)).await??;
            Ok(LibraryAccess {
                caller,
                library,
                standing,
            })
        })
    }
}
