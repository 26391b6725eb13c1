//! Rules for requests that arrive by email to correct, update or delete
//! personal information: which way a request may move, and when it is due.

use std::fmt;

/// Where a request stands.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum RequestStatus {
    /// Confirmed (or needing no confirmation), waiting for someone to take it.
    Received,
    /// Waiting for the sender to confirm by the emailed link.
    AwaitingConfirmation,
    /// Someone is working on it.
    InProgress,
    /// Finished as asked.
    Done,
    /// Declined.
    Rejected,
    /// Never confirmed; nothing was changed.
    Lapsed,
}

impl RequestStatus {
    /// Every status, in the order a request usually moves.
    pub const ALL: [RequestStatus; 6] = [
        RequestStatus::AwaitingConfirmation,
        RequestStatus::Received,
        RequestStatus::InProgress,
        RequestStatus::Done,
        RequestStatus::Rejected,
        RequestStatus::Lapsed,
    ];

    /// The stored name.
    pub fn as_str(self) -> &'static str {
        match self {
            RequestStatus::Received => "received",
            RequestStatus::AwaitingConfirmation => "awaiting_confirmation",
            RequestStatus::InProgress => "in_progress",
            RequestStatus::Done => "done",
            RequestStatus::Rejected => "rejected",
            RequestStatus::Lapsed => "lapsed",
        }
    }

    /// Parses a stored or requested name.
    pub fn parse(s: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|v| v.as_str() == s)
    }

    /// Whether nothing more happens to a request in this status.
    pub fn is_closed(self) -> bool {
        matches!(
            self,
            RequestStatus::Done | RequestStatus::Rejected | RequestStatus::Lapsed
        )
    }
}

impl fmt::Display for RequestStatus {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// Why staff may not move a request where they asked, in words for them.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Refusal(pub &'static str);

/// Whether staff may move a request from `from` to `to`.
///
/// Nothing changes before the sender confirms ("Before anything changes, the
/// sender confirms"), so an unconfirmed request can only be declined; a closed
/// request stays closed (a new email opens a new one); lapsing is the
/// system's, when the link expires.
pub fn staff_may_move(from: RequestStatus, to: RequestStatus) -> Result<(), Refusal> {
    use RequestStatus::*;
    if from == to {
        return Ok(());
    }
    match (from, to) {
        (_, Lapsed) => Err(Refusal(
            "a request lapses by itself when its confirmation link expires",
        )),
        (_, AwaitingConfirmation) => Err(Refusal(
            "a request cannot be sent back to await confirmation",
        )),
        (f, _) if f.is_closed() => Err(Refusal(
            "the request is closed; a new email from the sender opens a new request",
        )),
        (AwaitingConfirmation, Rejected) => Ok(()),
        (AwaitingConfirmation, _) => Err(Refusal(
            "the sender has not confirmed the request yet; nothing may change before they do",
        )),
        (Received | InProgress, Received | InProgress | Done | Rejected) => Ok(()),
        _ => Err(Refusal("that change of status is not allowed")),
    }
}

/// What a request asks for.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum RequestKind {
    /// Fix data that is wrong.
    Correct,
    /// Replace data that has changed.
    Update,
    /// Delete the account or data.
    Delete,
    /// Anything else.
    Other,
}

impl RequestKind {
    /// The stored name.
    pub fn as_str(self) -> &'static str {
        match self {
            RequestKind::Correct => "correct",
            RequestKind::Update => "update",
            RequestKind::Delete => "delete",
            RequestKind::Other => "other",
        }
    }

    /// Parses a stored name.
    pub fn parse(s: &str) -> Option<Self> {
        [Self::Correct, Self::Update, Self::Delete, Self::Other]
            .into_iter()
            .find(|k| k.as_str() == s)
    }

    /// Whether the sender must confirm before anything changes: everything
    /// that would change personal data.
    pub fn needs_confirmation(self) -> bool {
        !matches!(self, RequestKind::Other)
    }
}

/// What every reply about a deletion must say: backups are not rewritten.
pub const BACKUP_NOTICE: &str =
    "Deleted information may persist on backup media until those backups expire.";

#[cfg(test)]
mod tests {
    use super::*;
    use RequestStatus::*;

    #[test]
    fn nothing_changes_before_the_sender_confirms() {
        assert!(staff_may_move(AwaitingConfirmation, InProgress).is_err());
        assert!(staff_may_move(AwaitingConfirmation, Done).is_err());
        assert!(staff_may_move(AwaitingConfirmation, Rejected).is_ok());
    }

    #[test]
    fn confirmed_requests_move_freely_until_closed() {
        assert!(staff_may_move(Received, InProgress).is_ok());
        assert!(staff_may_move(InProgress, Done).is_ok());
        assert!(staff_may_move(InProgress, Received).is_ok());
        assert!(staff_may_move(Done, InProgress).is_err());
        assert!(staff_may_move(Lapsed, Received).is_err());
        assert!(staff_may_move(Received, Lapsed).is_err());
    }

    #[test]
    fn names_round_trip() {
        for s in RequestStatus::ALL {
            assert_eq!(RequestStatus::parse(s.as_str()), Some(s));
        }
        assert_eq!(RequestKind::parse("delete"), Some(RequestKind::Delete));
        assert!(RequestKind::Delete.needs_confirmation());
        assert!(!RequestKind::Other.needs_confirmation());
    }
}
