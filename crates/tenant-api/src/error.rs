//! The API's one error type, mapped once to RFC 9457 problem+json.
//!
//! A problem's `type` is stable (`urn:custodian:problem:<slug>`), its `title`
//! says what went wrong and its `detail` what to do. A 5xx says nothing
//! internal: the cause goes to the log under the request id.

use actix_web::http::{header, StatusCode};
use actix_web::{HttpResponse, ResponseError};
use serde::Serialize;
use store::StoreError;

/// Everything a request can fail with.
#[derive(Debug, thiserror::Error)]
pub enum ApiError {
    /// A parameter or body field is missing or malformed.
    #[error("invalid {field}: {detail}")]
    Invalid {
        /// The parameter or field, as the caller named it.
        field: String,
        /// What is expected.
        detail: String,
    },
    /// The request body is not the JSON the endpoint takes.
    #[error("malformed body: {0}")]
    Body(String),
    /// No valid session or token.
    #[error("not signed in")]
    Unauthenticated,
    /// Wrong email or password.
    #[error("wrong email or password")]
    BadCredentials,
    /// Wrong card number or PIN.
    #[error("wrong card number or PIN")]
    BadPatronCredentials,
    /// Too many failed sign-ins.
    #[error("too many failed sign-ins")]
    Throttled {
        /// Seconds until the caller may try again.
        retry_after_secs: u64,
    },
    /// Signed in, but the role does not allow this.
    #[error("forbidden: {0}")]
    Forbidden(&'static str),
    /// The privacy policy refuses this disclosure; the text says why.
    #[error("refused by policy: {0}")]
    Refused(&'static str),
    /// A patron under the library's age needs a guardian's recorded consent first.
    #[error("guardian consent required for {0}")]
    GuardianConsentRequired(String),
    /// A line of a bulk feed is wrong; nothing of the feed was stored.
    #[error("feed line {line}: {detail}")]
    FeedLine {
        /// The 1-based line number.
        line: usize,
        /// What is wrong with it.
        detail: String,
    },
    /// Nothing here, or nothing this caller may know about.
    #[error("not found")]
    NotFound,
    /// A request may not move to the status asked for.
    #[error("status change not allowed: {0}")]
    Transition(&'static str),
    /// The body is larger than the endpoint accepts.
    #[error("body too large: {0}")]
    TooLarge(String),
    /// The change clashes with what exists.
    #[error("conflict: {0}")]
    Conflict(String),
    /// The database or another dependency cannot be reached right now.
    #[error("service unavailable: {0}")]
    Unavailable(String),
    /// A bug or an unexpected failure; the detail is for the log only.
    #[error("internal error: {0}")]
    Internal(String),
    /// The mail gateway sent something that is not an RFC 5322 message.
    #[error("not an email message: {0}")]
    NotAMessage(String),
    /// A string field is longer than its maximum.
    #[error("{field}: at most {max} characters, got {got}")]
    TooLong {
        /// The field's path, e.g. `address.city`.
        field: String,
        /// The maximum, in characters.
        max: usize,
        /// Its length, in characters.
        got: usize,
    },
    /// The request body is larger than the endpoint takes.
    #[error("body larger than {limit} bytes")]
    BodyTooLarge {
        /// The limit, in bytes.
        limit: usize,
    },
    /// The path exists but does not take this method.
    #[error("method not allowed")]
    MethodNotAllowed {
        /// The methods the path takes, for the `Allow` header.
        allow: String,
    },
    /// Too many sign-ins or password changes are waiting for password hashing.
    #[error("password hashing is at capacity")]
    Busy {
        /// Seconds after which a retry is likely to be served.
        retry_after_secs: u64,
    },
    /// A form was posted without the CSRF token of the page it came from.
    #[error("form token missing or wrong")]
    CsrfRejected,
    /// A vendor key that is unknown, wrong or revoked.
    #[error("the vendor key is not valid")]
    VendorKeyInvalid,
    /// A vendor key whose contract is not running today.
    #[error("the vendor's contract is not running: {0}")]
    ContractNotRunning(String),
    /// A privacy policy version the policy crate (or the rules of versions) refused.
    #[error("{key}: {rule}")]
    PolicyRefused {
        /// The document key, dotted.
        key: String,
        /// The rule it breaks.
        rule: String,
        /// The statute or policy clause behind the rule.
        clause: Option<policy::clause::Clause>,
    },
    /// A body whose media type the endpoint does not keep; the text lists those it takes.
    #[error("unsupported media type; accepted: {0}")]
    UnsupportedMediaType(String),
}

impl From<StoreError> for ApiError {
    fn from(e: StoreError) -> Self {
        match e {
            StoreError::NotFound => ApiError::NotFound,
            StoreError::Conflict(what) => ApiError::Conflict(what),
            StoreError::Unavailable(why) => ApiError::Unavailable(why),
            other => ApiError::Internal(other.to_string()),
        }
    }
}

impl From<custody::privacy_policy::PublishError> for ApiError {
    fn from(e: custody::privacy_policy::PublishError) -> Self {
        use custody::privacy_policy::PublishError as P;
        match e {
            P::Refused(r) => ApiError::PolicyRefused {
                key: r.key,
                rule: r.rule,
                clause: r.clause,
            },
            P::Custody(c) => c.into(),
        }
    }
}

impl From<custody::CustodyError> for ApiError {
    fn from(e: custody::CustodyError) -> Self {
        use custody::CustodyError as C;
        match e {
            C::Invalid { field, detail } => ApiError::Invalid {
                field: field.into(),
                detail,
            },
            C::Forbidden(why) => ApiError::Forbidden(why),
            C::Refused(why) => ApiError::Refused(why),
            C::GuardianConsentRequired(fields) => ApiError::GuardianConsentRequired(fields),
            C::FeedLine { line, detail } => ApiError::FeedLine { line, detail },
            C::NotFound => ApiError::NotFound,
            C::Conflict(what) => ApiError::Conflict(what),
            C::Store(s) => s.into(),
            C::Internal(why) => ApiError::Internal(why),
            C::VendorKeyInvalid => ApiError::VendorKeyInvalid,
            C::ContractNotRunning(why) => ApiError::ContractNotRunning(why),
        }
    }
}

impl From<notifier::MailroomError> for ApiError {
    fn from(e: notifier::MailroomError) -> Self {
        use notifier::MailroomError as M;
        match e {
            M::Store(s) => s.into(),
            M::NotFound => ApiError::NotFound,
            M::Refused(why) => ApiError::Transition(why),
            M::Invalid { field, message } => ApiError::Invalid {
                field: field.into(),
                detail: message,
            },
            M::Unreadable(why) => ApiError::NotAMessage(why.to_string()),
            M::LinkInvalid | M::LinkExpired | M::LinkSpent { .. } => ApiError::NotFound,
            M::Compose(why) => ApiError::Internal(why),
        }
    }
}

impl From<actix_web::error::BlockingError> for ApiError {
    fn from(e: actix_web::error::BlockingError) -> Self {
        ApiError::Internal(format!("blocking task failed: {e}"))
    }
}

/// The RFC 9457 body.
#[derive(Serialize)]
struct Problem<'a> {
    #[serde(rename = "type")]
    kind: String,
    title: &'a str,
    status: u16,
    detail: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    field: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    line: Option<usize>,
    #[serde(skip_serializing_if = "Option::is_none")]
    clause: Option<policy::clause::Clause>,
}

impl ApiError {
    fn slug_title(&self) -> (&'static str, &'static str) {
        match self {
            ApiError::Invalid { .. } => ("invalid-parameter", "A parameter is not valid"),
            ApiError::Body(_) => ("malformed-body", "The request body could not be read"),
            ApiError::Unauthenticated => ("unauthenticated", "You are not signed in"),
            ApiError::BadCredentials => ("bad-credentials", "Wrong email or password"),
            ApiError::BadPatronCredentials => ("bad-credentials", "Wrong card number or PIN"),
            ApiError::Throttled { .. } => ("too-many-attempts", "Too many failed sign-ins"),
            ApiError::Forbidden(_) => ("forbidden", "Your role does not allow this"),
            ApiError::Refused(_) => (
                "refused-by-policy",
                "The library's privacy policy does not allow this",
            ),
            ApiError::GuardianConsentRequired(_) => (
                "guardian-consent-required",
                "A guardian's consent is needed first",
            ),
            ApiError::FeedLine { .. } => (
                "invalid-feed-line",
                "A line of the feed is not valid; nothing was stored",
            ),
            ApiError::NotFound => ("not-found", "Not found"),
            ApiError::Transition(_) => (
                "status-change-not-allowed",
                "The request cannot move to that status",
            ),
            ApiError::TooLarge(_) => ("too-large", "The body is too large"),
            ApiError::Conflict(_) => ("conflict", "This clashes with what is already there"),
            ApiError::Unavailable(_) => ("unavailable", "The service is temporarily unavailable"),
            ApiError::Internal(_) => ("internal", "Something went wrong on our side"),
            ApiError::NotAMessage(_) => (
                "not-a-message",
                "The body is not an email message; nothing was filed",
            ),
            ApiError::TooLong { .. } => ("too-long", "A field is longer than allowed"),
            ApiError::BodyTooLarge { .. } => ("body-too-large", "The body is too large"),
            ApiError::MethodNotAllowed { .. } => (
                "method-not-allowed",
                "This address does not take that method",
            ),
            ApiError::Busy { .. } => ("busy", "Too many sign-ins at once"),
            ApiError::CsrfRejected => ("form-expired", "This form has expired"),
            ApiError::VendorKeyInvalid => ("vendor-key-invalid", "The key is not valid"),
            ApiError::ContractNotRunning(_) => (
                "contract-not-running",
                "The vendor's contract is not running",
            ),
            ApiError::PolicyRefused {
                clause: Some(_), ..
            } => (
                "policy-loosens-statute",
                "The policy would loosen what the law or the library's rules require",
            ),
            ApiError::PolicyRefused { clause: None, .. } => (
                "invalid-policy",
                "The policy version cannot be published as it is",
            ),
            ApiError::UnsupportedMediaType(_) => (
                "unsupported-media-type",
                "This kind of file is not accepted",
            ),
        }
    }

    fn detail(&self) -> String {
        match self {
            ApiError::Invalid { detail, .. } => detail.clone(),
            ApiError::Body(why) => format!("{why}. Send a JSON body as the API documentation shows."),
            ApiError::Unauthenticated => "Sign in at POST /api/v1/auth/sign-in and send the session cookie or the bearer token.".into(),
            ApiError::BadCredentials => "Check the email address and the password and try again. After several failures sign-in is paused for a while.".into(),
            ApiError::BadPatronCredentials => "Check the card number and the PIN and try again. If you forgot your PIN, your library can reset it.".into(),
            ApiError::Throttled { retry_after_secs } => {
                format!("Sign-in is paused after repeated failures. Try again in {} minutes, or ask your library admin to reset your password.", retry_after_secs.div_ceil(60))
            }
            ApiError::Forbidden(why) => format!("{why}. Ask your library admin if you need this."),
            ApiError::Refused(why) => format!("{why}. The decision and its clause are recorded in the library's audit log."),
            ApiError::GuardianConsentRequired(fields) => format!(
                "This patron is under the library's age for collecting {fields} without a guardian's consent. Record the guardian's consent (POST …/patrons/{{id}}/consents with kind \"guardian\"), then try again."
            ),
            ApiError::FeedLine { line, detail } => format!("Line {line}: {detail}. Nothing from this request was stored; correct the line and send the whole feed again."),
            ApiError::Transition(why) => format!("{why}."),
            ApiError::TooLarge(what) => format!("{what}. Send a smaller message, or raise the limit in the settings."),
            ApiError::NotFound => "There is nothing at this address that you can see. Check the address and your library.".into(),
            ApiError::Conflict(what) => format!("The change clashes with existing data ({what}). Reload, check, and try again."),
            ApiError::Unavailable(_) => "The database or a service custodian depends on is not answering. Try again in a minute; if it persists, tell your administrator and quote the request id.".into(),
            ApiError::Internal(_) => "The error has been logged. Try again; if it persists, tell your administrator and quote the request id from the x-request-id header.".into(),
            ApiError::NotAMessage(why) => format!("{why}. Send one RFC 5322 message as the body: header fields (at least From, and Date, Message-ID or Subject), a blank line, then the text. Sending it again will not help; drop it or hand it to a person."),
            ApiError::TooLong { field, max, got } => format!("{field}: at most {max} characters, got {got}. Shorten it and send again."),
            ApiError::BodyTooLarge { limit } => format!("The body is larger than {limit} bytes, the most this endpoint takes. Send less in one request."),
            ApiError::MethodNotAllowed { allow } => format!("Use one of: {allow} (the Allow header lists them)."),
            ApiError::Busy { retry_after_secs } => format!("custodian is checking many passwords right now. Try again in {retry_after_secs} second(s); nothing was changed and this attempt does not count as a failure."),
            ApiError::VendorKeyInvalid => "Send the whole key the library gave you as `Authorization: Bearer cvk_….SECRET`. A revoked key stays invalid; ask the library for a new one.".into(),
            ApiError::ContractNotRunning(why) => format!("The key works only while the contract runs: {why}. Ask the library about the contract."),
            ApiError::PolicyRefused { key, rule, clause: Some(c) } => format!("{key}: {rule}. {}. Change {key} and publish again; nothing was published.", c.text()),
            ApiError::PolicyRefused { key, rule, clause: None } => format!("{key}: {rule}. Nothing was published."),
            ApiError::UnsupportedMediaType(what) => format!("Send the document as {what}, with that Content-Type. Scan a paper order to PDF; a word-processor file can be printed to PDF."),
            ApiError::CsrfRejected => "The form was sent without the token of the page it came from, so nothing was changed. Reload the page (or open it again from custodian) and submit the form again.".into(),
        }
    }
}

impl ResponseError for ApiError {
    fn status_code(&self) -> StatusCode {
        match self {
            ApiError::Invalid { .. } | ApiError::Body(_) => StatusCode::BAD_REQUEST,
            ApiError::Unauthenticated
            | ApiError::BadCredentials
            | ApiError::BadPatronCredentials => StatusCode::UNAUTHORIZED,
            ApiError::Throttled { .. } => StatusCode::TOO_MANY_REQUESTS,
            ApiError::Forbidden(_) | ApiError::Refused(_) => StatusCode::FORBIDDEN,
            ApiError::GuardianConsentRequired(_) => StatusCode::CONFLICT,
            ApiError::FeedLine { .. } => StatusCode::BAD_REQUEST,
            ApiError::NotFound => StatusCode::NOT_FOUND,
            ApiError::Transition(_) => StatusCode::CONFLICT,
            ApiError::TooLarge(_) => StatusCode::PAYLOAD_TOO_LARGE,
            ApiError::Conflict(_) => StatusCode::CONFLICT,
            ApiError::Unavailable(_) => StatusCode::SERVICE_UNAVAILABLE,
            ApiError::Internal(_) => StatusCode::INTERNAL_SERVER_ERROR,
            ApiError::NotAMessage(_) => StatusCode::UNPROCESSABLE_ENTITY,
            ApiError::TooLong { .. } => StatusCode::UNPROCESSABLE_ENTITY,
            ApiError::BodyTooLarge { .. } => StatusCode::PAYLOAD_TOO_LARGE,
            ApiError::MethodNotAllowed { .. } => StatusCode::METHOD_NOT_ALLOWED,
            ApiError::Busy { .. } => StatusCode::SERVICE_UNAVAILABLE,
            ApiError::CsrfRejected => StatusCode::FORBIDDEN,
            ApiError::VendorKeyInvalid | ApiError::ContractNotRunning(_) => {
                StatusCode::UNAUTHORIZED
            }
            ApiError::UnsupportedMediaType(_) => StatusCode::UNSUPPORTED_MEDIA_TYPE,
            ApiError::PolicyRefused { .. } => StatusCode::UNPROCESSABLE_ENTITY,
        }
    }

    fn error_response(&self) -> HttpResponse {
        let status = self.status_code();
        if let ApiError::Busy { .. } = self {
            // Load shedding by design, not a fault: an operator should see it
            // without being paged for it.
            tracing::warn!("password hashing at capacity; answered 503");
        } else if status.is_server_error() {
            // The cause is logged inside the request's span, so it carries the request id.
            tracing::error!(error = %self, "request failed");
        }
        let (slug, title) = self.slug_title();
        let body = Problem {
            kind: format!("urn:custodian:problem:{slug}"),
            title,
            status: status.as_u16(),
            detail: self.detail(),
            field: match self {
                ApiError::Invalid { field, .. }
                | ApiError::TooLong { field, .. }
                | ApiError::PolicyRefused { key: field, .. } => Some(field.as_str()),
                _ => None,
            },
            line: match self {
                ApiError::FeedLine { line, .. } => Some(*line),
                _ => None,
            },
            clause: match self {
                ApiError::PolicyRefused { clause, .. } => *clause,
                _ => None,
            },
        };
        let mut res = HttpResponse::build(status);
        res.insert_header((header::CONTENT_TYPE, "application/problem+json"));
        if let ApiError::Throttled { retry_after_secs } | ApiError::Busy { retry_after_secs } = self
        {
            res.insert_header((header::RETRY_AFTER, retry_after_secs.to_string()));
        }
        if let ApiError::MethodNotAllowed { allow } = self {
            res.insert_header((header::ALLOW, allow.as_str()));
        }
        if matches!(
            self,
            ApiError::Unauthenticated
                | ApiError::BadCredentials
                | ApiError::BadPatronCredentials
                | ApiError::VendorKeyInvalid
                | ApiError::ContractNotRunning(_)
        ) {
            res.insert_header((header::WWW_AUTHENTICATE, "Bearer"));
        }
        res.body(serde_json::to_string(&body).unwrap_or_else(|_| "{}".into()))
    }
}

/// Shorthand for handler results.
pub type ApiResult<T> = Result<T, ApiError>;
