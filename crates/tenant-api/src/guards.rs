//! The role a handler needs, stated in its signature.
//!
//! Each guard is an extractor: it authenticates the caller (one token parser
//! for bearer headers and cookies), finds the library named in the path,
//! asks `policy::staff` how the caller stands there, and either yields the
//! guard or answers the refusal. A library the caller has no standing in is
//! answered 404, exactly like one that does not exist.

use crate::auth::{Caller, LibraryAccess};
use crate::error::ApiError;
use actix_web::dev::Payload;
use actix_web::{FromRequest, HttpRequest};
use custody::Actor;
use custody::Library;
use futures_util::future::LocalBoxFuture;
use policy::staff::{decide_patron_work, LibraryRole, StaffDecision, Standing};

pub use crate::patron_auth::PatronCaller as Patron;

/// The refusal a staff decision answers with.
fn refuse(decision: StaffDecision) -> ApiError {
    match decision {
        StaffDecision::Forbidden(why) => ApiError::Forbidden(why),
        StaffDecision::Hidden | StaffDecision::Allow => ApiError::NotFound,
    }
}

/// A member of the library in the path (staff, admin or custodian of records),
/// allowed to work with its patrons and records; each read still passes the gate.
pub struct LibraryStaff {
    /// Who is calling.
    pub caller: Caller,
    /// The library in the path.
    pub library: Library,
    /// Their role there.
    pub role: LibraryRole,
}

impl LibraryStaff {
    /// How the audit log names the caller.
    pub fn actor(&self) -> Actor {
        Actor::Staff(self.caller.id)
    }

    /// The staff member, as custody knows them.
    pub fn member(&self) -> custody::StaffMember {
        custody::StaffMember {
            library: self.library.clone(),
            account: self.caller.id,
            role: self.role,
        }
    }

    fn from_access(access: LibraryAccess) -> Result<Self, ApiError> {
        match (decide_patron_work(access.standing), access.standing) {
            (StaffDecision::Allow, Standing::Member(role)) => Ok(LibraryStaff {
                caller: access.caller,
                library: access.library,
                role,
            }),
            (StaffDecision::Allow, _) => Err(ApiError::NotFound),
            (decision, _) => Err(refuse(decision)),
        }
    }
}

impl FromRequest for LibraryStaff {
    type Error = ApiError;
    type Future = LocalBoxFuture<'static, Result<Self, Self::Error>>;

    fn from_request(req: &HttpRequest, payload: &mut Payload) -> Self::Future {
        let access = LibraryAccess::from_request(req, payload);
        Box::pin(async move { LibraryStaff::from_access(access.await?) })
    }
}

/// [`LibraryStaff`], narrowed to the roles `allowed` lets through; anyone else
/// who works there is told `refusal`.
fn staff_in_role(
    req: &HttpRequest,
    payload: &mut Payload,
    allowed: fn(LibraryRole) -> bool,
    refusal: &'static str,
) -> LocalBoxFuture<'static, Result<LibraryStaff, ApiError>> {
    let staff = LibraryStaff::from_request(req, payload);
    Box::pin(async move {
        let staff = staff.await?;
        if allowed(staff.role) {
            Ok(staff)
        } else {
            Err(ApiError::Forbidden(refusal))
        }
    })
}

/// An admin of the library in the path.
pub struct LibraryAdmin(pub LibraryStaff);

impl FromRequest for LibraryAdmin {
    type Error = ApiError;
    type Future = LocalBoxFuture<'static, Result<Self, Self::Error>>;

    fn from_request(req: &HttpRequest, payload: &mut Payload) -> Self::Future {
        let staff = staff_in_role(
            req,
            payload,
            |role| role == LibraryRole::Admin,
            "only a library admin may do this; ask your library's admin",
        );
        Box::pin(async move { staff.await.map(LibraryAdmin) })
    }
}

/// The library's custodian of records, or an admin (who may act as one).
pub struct Custodian(pub LibraryStaff);

impl FromRequest for Custodian {
    type Error = ApiError;
    type Future = LocalBoxFuture<'static, Result<Self, Self::Error>>;

    fn from_request(req: &HttpRequest, payload: &mut Payload) -> Self::Future {
        let staff = staff_in_role(
            req,
            payload,
            |role| matches!(role, LibraryRole::Admin | LibraryRole::Custodian),
            "only a library admin or the custodian of records may do this",
        );
        Box::pin(async move { staff.await.map(Custodian) })
    }
}

/// The consortium director.
pub struct Director(pub Caller);

impl Director {
    /// How the audit log names the director.
    pub fn actor(&self) -> Actor {
        Actor::Director(self.0.id)
    }
}

impl FromRequest for Director {
    type Error = ApiError;
    type Future = LocalBoxFuture<'static, Result<Self, Self::Error>>;

    fn from_request(req: &HttpRequest, payload: &mut Payload) -> Self::Future {
        let caller = Caller::from_request(req, payload);
        Box::pin(async move {
            let caller = caller.await?;
            if caller.is_director {
                Ok(Director(caller))
            } else {
                Err(ApiError::Forbidden(
                    "only the consortium director may do this",
                ))
            }
        })
    }
}

/// A part of the consortium's work only the director does, and what anyone
/// else is told when they try it.
pub trait DirectorsWork {
    /// The refusal, naming the work.
    const REFUSAL: &'static str;
}

/// The director, at one part of their work: the [`Director`] guard with the
/// refusal that names that work, so a caller learns what they cannot do.
pub struct DirectorAt<W: DirectorsWork>(pub Director, pub std::marker::PhantomData<W>);

impl<W: DirectorsWork> DirectorAt<W> {
    /// How the audit log names the director.
    pub fn actor(&self) -> Actor {
        self.0.actor()
    }
}

impl<W: DirectorsWork + 'static> FromRequest for DirectorAt<W> {
    type Error = ApiError;
    type Future = LocalBoxFuture<'static, Result<Self, Self::Error>>;

    fn from_request(req: &HttpRequest, payload: &mut Payload) -> Self::Future {
        let director = Director::from_request(req, payload);
        Box::pin(async move {
            match director.await {
                Ok(d) => Ok(DirectorAt(d, std::marker::PhantomData)),
                Err(ApiError::Forbidden(_)) => Err(ApiError::Forbidden(W::REFUSAL)),
                Err(other) => Err(other),
            }
        })
    }
}

/// The director's inbox of emailed requests.
pub enum Inbox {}
impl DirectorsWork for Inbox {
    const REFUSAL: &'static str = "only the consortium director works the director's inbox";
}

/// Moderating the public directory.
pub enum Moderation {}
impl DirectorsWork for Moderation {
    const REFUSAL: &'static str = "only the consortium director moderates the directory";
}

/// The consortium's member libraries.
pub enum MemberLibraries {}
impl DirectorsWork for MemberLibraries {
    const REFUSAL: &'static str = "only the consortium director manages member libraries";
}

/// The consortium's security log.
pub enum SecurityLog {}
impl DirectorsWork for SecurityLog {
    const REFUSAL: &'static str =
        "only the consortium director reads the consortium's security log";
}
