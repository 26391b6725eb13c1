//! What a signed-in patron does with their own data: read it, export it, see
//! who looked at it, change their PIN and history choice, ask for deletion,
//! and confirm a new email address.
//!
//! Each act passes the gate once, as the patron asking about themself
//! ([`Custody::as_patron`]), so it is decided by the policy and recorded in
//! the library's audit log in the same transaction.

use crate::actor::{Actor, PatronSelf, Subject};
use crate::audit::{access_entries, AccessEntry};
use crate::error::{CustodyError, CustodyResult};
use crate::gate::{record, Ask, Entry, Ruling};
use crate::values::Purpose;
use crate::Custody;
use chrono::Utc;
use policy::disclosure::{Basis, DisclosureRequest, Relation, Requester};
use policy::document::PolicyDocument;
use policy::records::{FieldSet, KindSet};
use store::encryption::Keyring;
use store::libraries::{self, Library};
use store::{patrons, records, requests, Access, LibraryId, LibraryTx};

pub use store::patrons::{EmailLink, Patron};
pub use store::records::Record;

/// The clause under which a patron confirms their own new address.
const SELF_CLAUSE: &str = "custodian.patron.self";

impl Custody {
    /// The gate for a patron acting on their own data: decides `action` as the
    /// patron asking about themself, records it, and runs `act` in the same
    /// write transaction when allowed, with their library and its policy.
    pub fn as_patron<T>(
        &self,
        who: &PatronSelf,
        action: &str,
        act: impl FnOnce(&mut LibraryTx<'_>, &Keyring, &Library, &PolicyDocument) -> CustodyResult<T>,
    ) -> CustodyResult<T> {
        let library = self
            .store()
            .consortium(Access::Read, |c| libraries::by_id(c, who.library))?;
        let (actor, subject) = (Actor::Patron(who.patron), Subject::Patron(who.patron));
        let requester_id = actor.to_string();
        let purpose = Purpose::stated_by_custodian("");
        let ask = Ask {
            actor: &actor,
            action,
            subject: &subject,
            purpose: &purpose,
            request: DisclosureRequest {
                requester: Requester::Patron,
                requester_id: &requester_id,
                relation: Relation::Subject,
                kinds: KindSet::all(),
                fields: FieldSet::all(),
                // They proved it with card and PIN to get the session.
                basis: Basis::PatronSelf {
                    identity_verified: true,
                },
            },
        };
        self.decided(&library, &ask, |tx, keys, _| {
            let (_, document) = self.policies().in_force(tx, &library)?;
            act(tx, keys, &library, &document)
        })
    }
}

/// Everything custodian holds about the patron's account.
pub fn profile(custody: &Custody, who: &PatronSelf) -> CustodyResult<Patron> {
    custody.as_patron(who, "patron.self.read", |tx, keys, _, _| {
        Ok(patrons::get(tx, keys, who.patron)?)
    })
}

/// The patron's own records, newest first, before record `before`.
pub fn own_records(
    custody: &Custody,
    who: &PatronSelf,
    before: Option<i64>,
    limit: i64,
) -> CustodyResult<Vec<Record>> {
    custody.as_patron(who, "patron.self.records", |tx, keys, _, _| {
        Ok(records::for_patron(tx, keys, who.patron, before, limit)?)
    })
}

/// Who looked at the patron's records, when and why (sealed legal requests excepted), newest 500.
pub fn access_log(custody: &Custody, who: &PatronSelf) -> CustodyResult<Vec<AccessEntry>> {
    custody.as_patron(who, "patron.self.access-log", |tx, _, _, _| {
        Ok(access_entries(tx, &Subject::Patron(who.patron), 500)?)
    })
}

/// Everything held about the patron, as one JSON document.
pub fn export(custody: &Custody, who: &PatronSelf) -> CustodyResult<serde_json::Value> {
    custody.as_patron(who, "patron.self.export", |tx, keys, _, _| {
        let patron = patrons::get(tx, keys, who.patron)?;
        let mut all = Vec::new();
        let mut before = None;
        loop {
            let page = records::for_patron(tx, keys, who.patron, before, 1000)?;
            let Some(last) = page.last() else { break };
            before = Some(last.id);
            all.extend(page);
        }
        let consents = patrons::consents(tx, keys, who.patron)?;
        let access = access_entries(tx, &Subject::Patron(who.patron), i64::MAX)?;
        Ok(serde_json::json!({
            "exported_at": store::time::format(&Utc::now().naive_utc()),
            "library_id": who.library.0,
            "patron": patron,
            "records": all,
            "consents": consents,
            "access_log": access,
        }))
    })
}

/// Changes the patron's PIN to `new_hash` once `current_is_right` accepts the
/// stored hash (verification stays with the caller's password hashing);
/// every session of the patron ends.
pub fn change_pin(
    custody: &Custody,
    who: &PatronSelf,
    new_hash: &str,
    current_is_right: impl FnOnce(&str) -> bool,
) -> CustodyResult<()> {
    custody.as_patron(who, "patron.self.pin", |tx, keys, _, _| {
        let patron = patrons::get(tx, keys, who.patron)?;
        let (_, hash) = patrons::pin_by_card(tx, keys, &patron.data.card_number)?;
        if !current_is_right(&hash) {
            return Err(CustodyError::Invalid {
                field: "current_pin",
                detail: "the current PIN is not right".into(),
            });
        }
        let now = Utc::now().naive_utc();
        patrons::set_pin(tx, who.patron, new_hash, now)?;
        patrons::revoke_sessions(tx, who.patron, None, now)?;
        Ok(())
    })
}

/// Turns checkout history on or off; off unlinks returned loans at once.
/// Returns how many records were unlinked.
pub fn set_history(custody: &Custody, who: &PatronSelf, keep: bool) -> CustodyResult<usize> {
    custody.as_patron(who, "patron.self.history", |tx, _, _, _| {
        crate::patrons::set_keep_history(tx, who.patron, keep, Utc::now().naive_utc())
    })
}

/// Records the patron's request to delete their account and files it in the
/// library's queue with a deadline `due` from now; returns the request's number.
pub fn request_deletion(
    custody: &Custody,
    who: &PatronSelf,
    due: chrono::Duration,
) -> CustodyResult<i64> {
    // The request goes in the library's queue like an emailed one, in the
    // same transaction as the timestamp, so staff see it with a deadline.
    custody.as_patron(who, "patron.self.deletion-request", |tx, keys, _, _| {
        let now = Utc::now().naive_utc();
        patrons::request_deletion(tx, who.patron, now)?;
        let email = patrons::get(tx, keys, who.patron)?
            .data
            .email
            .unwrap_or_default();
        Ok(requests::file_portal_deletion(
            tx,
            keys,
            who.patron.0,
            &email,
            now + due,
            now,
        )?)
    })
}

/// What an email-confirmation link (by its token's hash) is good for; opening it changes nothing.
pub fn email_link(
    custody: &Custody,
    library: LibraryId,
    token_hash: &[u8],
) -> CustodyResult<EmailLink> {
    let now = Utc::now().naive_utc();
    Ok(custody.store().read(library, |tx| {
        patrons::email_link(tx, custody.keys(), token_hash, now)
    })?)
}

/// Puts the address an email-confirmation link is for in force and spends the link.
///
/// A changed address is a change to identifying data: it goes in the
/// library's audit log like the change that asked for it.
pub fn confirm_email(
    custody: &Custody,
    library: LibraryId,
    token_hash: &[u8],
) -> CustodyResult<EmailLink> {
    let now = Utc::now().naive_utc();
    Ok(custody.store().write(library, |tx| {
        let link = patrons::confirm_email(tx, custody.keys(), token_hash, now)?;
        if let EmailLink::Usable(id, _) = &link {
            record(
                tx,
                &Entry {
                    actor: &Actor::Patron(*id),
                    action: "patron.self.email_confirmed",
                    subject: &Subject::Patron(*id),
                    purpose: "confirming a new email address",
                    ruling: Ruling::allow(SELF_CLAUSE),
                },
                now,
            )?;
        }
        Ok::<_, store::StoreError>(link)
    })?)
}

/// What a patron may change of their own contact data; `Some(None)` clears a field.
#[derive(Default)]
pub struct ContactChange {
    /// Postal address.
    pub address: Option<Option<String>>,
    /// Email address, trimmed and checked by the caller.
    pub email: Option<Option<String>>,
    /// Phone.
    pub phone: Option<Option<String>>,
    /// How they wish to be contacted.
    pub contact_by: Option<String>,
}

/// The link the caller made and queued for a new address: custody keeps only its hash.
pub struct SentLink {
    /// The SHA-256 of the link's token.
    pub token_hash: Vec<u8>,
    /// When the link stops working.
    pub expires_at: chrono::NaiveDateTime,
}

/// Changes the patron's own contact data.
///
/// A new email address is not used for anything until the patron confirms it
/// by the single-use link sent to that address; until then the old one stays
/// in force and the new one shows as `pending_email`. Otherwise anyone could
/// name another person's address and have their mail filed with this library.
/// `send_link` makes the link and queues its mail in the same transaction
/// (tokens and mail are the caller's); it runs only for a new address.
/// Returns the profile after the change and whether a link was sent.
pub fn update_contact(
    custody: &Custody,
    who: &PatronSelf,
    change: ContactChange,
    send_link: impl FnOnce(&mut LibraryTx<'_>, &Library, &str) -> CustodyResult<SentLink>,
) -> CustodyResult<(Patron, bool)> {
    let requested_email = change.email.clone();
    let mut change = patrons::PatronChange {
        address: change.address,
        email: change.email,
        phone: change.phone,
        contact_by: change.contact_by,
        ..Default::default()
    };
    let id = who.patron;
    custody.as_patron(
        who,
        "patron.self.update",
        move |tx, keys, library, document| {
            let current = patrons::get(tx, keys, id)?;
            // The registration rule: a child's gated fields need a guardian's consent.
            let mut after = current.data.clone();
            crate::patrons::apply(&mut after, &change);
            let consent = crate::consents::guardian_consent_in_force(tx, keys, id)?;
            let gated = crate::consents::gated_fields(document, &after, consent);
            if !gated.is_empty() {
                return Err(CustodyError::GuardianConsentRequired(gated));
            }
            // Clearing the address, or restating the one in force, needs no proof.
            let pending = match &requested_email {
                Some(Some(new)) if !same_email(current.data.email.as_deref(), new) => {
                    change.email = None;
                    Some(new.clone())
                }
                _ => None,
            };
            let now = Utc::now().naive_utc();
            patrons::update(tx, keys, id, &change, now)?;
            let sent = match pending {
                Some(new) => {
                    let link = send_link(tx, library, &new)?;
                    patrons::request_email_change(
                        tx,
                        keys,
                        id,
                        &new,
                        &link.token_hash,
                        link.expires_at,
                        now,
                    )?;
                    true
                }
                None => false,
            };
            Ok((patrons::get(tx, keys, id)?, sent))
        },
    )
}

fn same_email(current: Option<&str>, new: &str) -> bool {
    current.is_some_and(|c| c.trim().eq_ignore_ascii_case(new.trim()))
}

pub use store::patrons::ConsentRecord;
pub use store::requests::MailRequest;

/// What the patron's account page shows at a glance: the account, the
/// consents recorded for them, and how many records of each kind are linked.
#[derive(Debug, Clone, serde::Serialize)]
pub struct Overview {
    /// The account, as [`profile`] gives it.
    pub patron: Patron,
    /// The consents recorded for them, oldest first.
    pub consents: Vec<ConsentRecord>,
    /// How many records of each kind are linked to them, by kind name.
    pub record_kinds: Vec<(String, i64)>,
    /// The notice of a policy version that added uses, until they dismiss it.
    pub policy_notice: Option<crate::privacy_policy::PatronNotice>,
    /// Their choices on the policy's optional uses.
    pub opt_outs: crate::privacy_policy::OptOuts,
}

/// Everything held about the patron at a glance: [`profile`] with the
/// consents, a count of the records, the policy notice not dismissed and
/// the opt-outs (one read through the gate).
pub fn overview(custody: &Custody, who: &PatronSelf) -> CustodyResult<Overview> {
    custody.as_patron(who, "patron.self.read", |tx, keys, library, _| {
        Ok(Overview {
            patron: patrons::get(tx, keys, who.patron)?,
            consents: patrons::consents(tx, keys, who.patron)?,
            record_kinds: records::kind_counts_for_patron(tx, who.patron)?,
            policy_notice: crate::privacy_policy::notice_in(tx, who.patron)?,
            opt_outs: crate::privacy_policy::opt_outs_in(tx, custody, library, who.patron)?,
        })
    })
}

/// How many of the newest emailed requests [`own_requests`] looks through for the patron's address.
const EMAILED_SCAN: i64 = 500;

/// The patron's own requests, newest first (at most 100): deletion requests
/// they filed in the portal, and emailed requests sent from (or answered to)
/// their email address in force.
pub fn own_requests(custody: &Custody, who: &PatronSelf) -> CustodyResult<Vec<MailRequest>> {
    custody.as_patron(who, "patron.self.requests", |tx, keys, _, _| {
        let email = patrons::get(tx, keys, who.patron)?.data.email;
        Ok(requests::for_patron(
            tx,
            keys,
            who.patron,
            email.as_deref(),
            EMAILED_SCAN,
            100,
        )?)
    })
}
