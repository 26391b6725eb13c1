//! Each library's privacy policy (#16): versions its admin publishes, the
//! public view with its plain words and differences, the notice to patrons
//! of a version that adds uses of their data, and patrons' opt-outs.
//!
//! A version is checked by the policy crate against the library's
//! jurisdiction before it is stored, and never changes once stored.
//! The version in force is the library's rules: the gate, legal release,
//! vendors, registration and retention all read it ([`crate::Policies::in_force`]).
//! Publishing resets the library's own retention periods to the document's
//! (`PUT …/retention` may tighten them again, never past the version).
//!
//! The notice is queued in batches of [`NOTICE_BATCH`] patrons, each batch
//! one transaction recording who it was queued to, so a run stopped anywhere
//! is finished by the next and nobody gets it twice. The letter is sealed
//! once per version; each patron's outbox row only names it and the patron,
//! whose address is opened when it is delivered.

use crate::actor::{PatronSelf, StaffMember, Subject};
use crate::error::{CustodyError, CustodyResult};
use crate::gate::{self, Entry, Ruling};
use crate::{Custody, Library};
use chrono::{NaiveDateTime, Utc};
use policy::clause::Clause;
use policy::document::{DocumentError, OptionalUse, PolicyDocument};
use policy::jurisdiction::Jurisdiction;
use policy::minors::ChildNaming;
use policy::plain::{self, DiffLine};
use policy::staff::LibraryRole;
use serde::{Deserialize, Serialize};
use std::collections::{BTreeMap, HashSet};
use std::sync::Arc;
use store::privacy_policy::{self as sql, NewVersion, OptOut, StoredVersion};
use store::{LibraryId, LibraryTx, PatronId, StoreError};

/// Patrons a notice batch takes, one transaction each.
pub const NOTICE_BATCH: i64 = 20_000;

/// A version as an admin submits it: the document as a JSON object mirroring
/// the TOML, or as TOML text; what changed; and the uses it adds.
#[derive(Debug, Clone, Default, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({"document_toml": "[library]\nname = \"Riverside Public Library\"\n", "summary": "We now run a summer reading program with a partner.", "new_uses": ["reading_program"]}))]
pub struct NewPolicyVersion {
    /// The document as JSON (the TOML's tables as objects).
    #[serde(default)]
    pub document: Option<serde_json::Value>,
    /// The document as TOML text.
    #[serde(default)]
    pub document_toml: Option<String>,
    /// What changed, in plain words.
    #[serde(default)]
    pub summary: String,
    /// The keys of the uses this version adds.
    #[serde(default)]
    pub new_uses: Vec<String>,
}

/// What the queueing of a notice did.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, utoipa::ToSchema)]
pub struct NoticeQueued {
    /// Messages queued now (patrons with an email not told before).
    pub queued: u64,
}

/// A version just published.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
#[schema(example = json!({"version": 2, "published_at": "2026-03-01T08:00:00Z", "notice": {"queued": 1250}}))]
#[schema(as = PublishedPolicyVersion)]
pub struct Published {
    /// Its number.
    pub version: i64,
    /// When.
    #[serde(with = "store::time::rfc3339")]
    pub published_at: NaiveDateTime,
    /// The notice to patrons, when the version adds uses.
    pub notice: Option<NoticeQueued>,
}

/// A policy refused: the key, why, and the statute or policy clause behind it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Refusal {
    /// The document key, dotted (`disclosure.accept_subpoena`).
    pub key: String,
    /// The rule it breaks, in words.
    pub rule: String,
    /// The clause, when a rule of the profile was broken.
    pub clause: Option<Clause>,
}

impl From<DocumentError> for Refusal {
    fn from(e: DocumentError) -> Self {
        match e {
            DocumentError::Syntax(why) => Refusal {
                key: "document".into(),
                rule: why,
                clause: None,
            },
            DocumentError::Invalid { key, detail } => Refusal {
                key,
                rule: detail,
                clause: None,
            },
            DocumentError::Loosens { key, rule, clause } => Refusal {
                key,
                rule,
                clause: Some(clause),
            },
        }
    }
}

/// A use as the public and patrons see it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, utoipa::ToSchema)]
pub struct UseView {
    /// Its key.
    pub key: String,
    /// What the library does.
    pub description: String,
}

impl From<&OptionalUse> for UseView {
    fn from(u: &OptionalUse) -> Self {
        UseView {
            key: u.key.clone(),
            description: u.description.clone(),
        }
    }
}

/// A vendor under contract today, as the policy page names it.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct PolicyVendor {
    /// The vendor's name.
    pub name: String,
    /// What it provides.
    pub service: String,
    /// Its own privacy policy.
    pub privacy_policy_url: String,
    /// The last day of the contract.
    pub contract_ends: String,
}

/// The policy in force, in plain words.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct CurrentPolicy {
    /// Its number; 0 while the library has published none (its jurisdiction's default).
    pub version: i64,
    /// When it was published; none for the default.
    #[serde(with = "store::time::rfc3339_option")]
    pub published_at: Option<NaiveDateTime>,
    /// What changed in it.
    pub summary: String,
    /// The library's own words.
    pub text: String,
    /// The statute it is checked against.
    pub statutes: &'static str,
    /// What is collected.
    pub collected: Vec<String>,
    /// How long it is kept.
    pub kept: Vec<String>,
    /// Who may receive it, and on what basis.
    pub recipients: Vec<String>,
    /// How children are named in public, with an example.
    pub children: String,
    /// `first_name_only` or `first_name_last_initial`.
    pub children_naming: ChildNaming,
    /// How custodian would show Ada Lovelace, a child, in public here.
    pub children_example: String,
    /// The optional uses, each one a patron may opt out of.
    pub uses: Vec<UseView>,
    /// The vendors under contract today.
    pub vendors: Vec<PolicyVendor>,
}

/// An earlier version, as the public list shows it.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct VersionSummary {
    /// Its number.
    pub version: i64,
    /// When it was published.
    #[serde(with = "store::time::rfc3339")]
    pub published_at: NaiveDateTime,
    /// What changed in it.
    pub summary: String,
    /// The uses it added.
    pub new_uses: Vec<String>,
}

/// A library's policy for the public.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct PublicPolicy {
    /// The library's name.
    pub library: String,
    /// Its slug.
    pub slug: String,
    /// The version in force.
    pub current: CurrentPolicy,
    /// Every earlier version, newest first.
    pub versions: Vec<VersionSummary>,
}

/// The difference between two versions, line by line.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
#[schema(as = PolicyDifference)]
pub struct Difference {
    /// The older version.
    pub from: i64,
    /// The newer version.
    pub to: i64,
    /// Each line, `same`, `added` or `removed`.
    pub lines: Vec<DiffLine>,
}

/// What a notice tells a patron, the same for every patron of the version.
#[derive(Debug, Clone)]
pub struct PolicyNotice {
    /// The library's name.
    pub library: String,
    /// Its slug.
    pub slug: String,
    /// The version's number.
    pub version: i64,
    /// What changed.
    pub summary: String,
    /// The uses it adds.
    pub new_uses: Vec<UseView>,
}

/// A notice's letter, made once per version for all its patrons: the outbox
/// keeps one sealed copy and a small row per patron, and the mailroom
/// composes each patron's message from it when it delivers it.
#[derive(Debug, Clone)]
pub struct SharedNotice {
    /// The template name, for the director's view.
    pub template: &'static str,
    /// The letter as the mailroom will compose from it; it names no one.
    pub body: String,
    /// Each message's Message-ID is this, the patron's id and the suffix.
    pub message_id_prefix: String,
    /// See `message_id_prefix`.
    pub message_id_suffix: String,
}

/// Makes the notice's letter (the mailroom implements it; custody cannot
/// depend on notifier) and wakes the outbox workers once queued.
pub trait PolicyNotifier: Send + Sync {
    /// The letter of the version, rendered once, for every patron.
    fn shared_policy_notice(&self, notice: &PolicyNotice) -> CustodyResult<SharedNotice>;

    /// Called after a batch committed.
    fn queued(&self) {}
}

/// The notice a patron sees on `/my` until dismissed.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct PatronNotice {
    /// The version.
    pub version: i64,
    /// What changed.
    pub summary: String,
    /// The uses it adds.
    pub new_uses: Vec<UseView>,
    /// When it was published.
    #[serde(with = "store::time::rfc3339")]
    pub published_at: NaiveDateTime,
}

/// A patron's choices on the current policy's optional uses.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct OptOuts {
    /// The policy version in force.
    pub version: i64,
    /// Each use of the current policy: `true` when the patron opted out.
    pub opt_outs: BTreeMap<String, bool>,
    /// The uses, with their descriptions.
    pub uses: Vec<UseView>,
}

fn admin_only(who: &StaffMember) -> CustodyResult<()> {
    if who.role != LibraryRole::Admin {
        return Err(CustodyError::Forbidden(
            "only the library's admin publishes its privacy policy",
        ));
    }
    Ok(())
}

fn jurisdiction_of(library: &Library) -> CustodyResult<Jurisdiction> {
    Jurisdiction::ALL
        .into_iter()
        .find(|j| j.as_str() == library.jurisdiction)
        .ok_or_else(|| {
            CustodyError::Internal(format!("unknown jurisdiction {}", library.jurisdiction))
        })
}

fn split_uses(s: &str) -> Vec<String> {
    s.split(',')
        .filter(|k| !k.is_empty())
        .map(str::to_owned)
        .collect()
}

/// The document a stored version holds; one that no longer validates (a
/// profile tightened since) is a deployment problem, not the caller's.
fn parse_stored(v: &StoredVersion) -> CustodyResult<PolicyDocument> {
    PolicyDocument::from_toml(&v.document).map_err(|e| {
        CustodyError::Internal(format!(
            "privacy policy version {} no longer validates: {e}",
            v.version
        ))
    })
}

/// The policy document in force at a library: its newest published version,
/// or its jurisdiction's shipped document (the gate's own, [`crate::Policies::in_force`]).
pub fn document_in(
    tx: &mut LibraryTx<'_>,
    custody: &Custody,
    library: &Library,
) -> CustodyResult<Arc<PolicyDocument>> {
    Ok(custody.policies().in_force(tx, library)?.1)
}

/// The TOML of a submission: the text as given, or the JSON object rewritten as TOML.
pub fn submitted_toml(input: &NewPolicyVersion) -> Result<String, Refusal> {
    match (&input.document_toml, &input.document) {
        (Some(text), None) => Ok(text.clone()),
        (None, Some(json)) => {
            let value: toml::Value = serde_json::from_value(json.clone()).map_err(|e| Refusal {
                key: "document".into(),
                rule: format!("the document must be an object of the TOML's keys: {e}"),
                clause: None,
            })?;
            toml::to_string(&value).map_err(|e| Refusal {
                key: "document".into(),
                rule: format!("the document cannot be written as TOML: {e}"),
                clause: None,
            })
        }
        (Some(_), Some(_)) => Err(Refusal {
            key: "document".into(),
            rule: "send document or document_toml, not both".into(),
            clause: None,
        }),
        (None, None) => Err(Refusal {
            key: "document".into(),
            rule: "send the policy document as document (JSON) or document_toml".into(),
            clause: None,
        }),
    }
}

/// Checks a submission against the library's jurisdiction and its previous
/// version: the validated document, or the refusal.
pub fn check(
    library: &Library,
    previous: Option<&PolicyDocument>,
    input: &NewPolicyVersion,
) -> Result<(String, PolicyDocument), Refusal> {
    let text = submitted_toml(input)?;
    let doc = PolicyDocument::from_toml(&text).map_err(Refusal::from)?;
    if doc.jurisdiction().as_str() != library.jurisdiction {
        return Err(Refusal {
            key: "jurisdiction".into(),
            rule: format!(
                "{} is under {}; its policy is checked against that profile",
                library.name, library.jurisdiction
            ),
            clause: None,
        });
    }
    let summary = input.summary.trim();
    if summary.is_empty() || summary.chars().count() > 1_000 {
        return Err(Refusal {
            key: "summary".into(),
            rule: "say in 1 to 1000 characters what changed".into(),
            clause: None,
        });
    }
    let had = |key: &str| previous.is_some_and(|p| p.optional_use(key).is_some());
    for key in &input.new_uses {
        if doc.optional_use(key).is_none() {
            return Err(Refusal {
                key: "new_uses".into(),
                rule: format!("{key} is not among the document's uses"),
                clause: None,
            });
        }
        if had(key) {
            return Err(Refusal {
                key: "new_uses".into(),
                rule: format!("{key} was in the previous version already"),
                clause: None,
            });
        }
    }
    // A use added without being listed would reach patrons without a notice.
    if let Some(unlisted) = doc
        .uses()
        .iter()
        .find(|u| !had(&u.key) && !input.new_uses.contains(&u.key))
    {
        return Err(Refusal {
            key: "new_uses".into(),
            rule: format!(
                "this version adds {}; list it in new_uses so patrons are told",
                unlisted.key
            ),
            clause: Some(Clause::OptedOutOfUse),
        });
    }
    Ok((text, doc))
}

/// Publishes a version (the library's admin): refused with the key and the
/// clause when the policy crate refuses it; sets the retention periods;
/// audited `privacy_policy.publish`; then, when it adds uses, queues the
/// notice to every patron with an email.
pub fn publish(
    custody: &Custody,
    who: &StaffMember,
    input: &NewPolicyVersion,
) -> Result<Published, PublishError> {
    admin_only(who)?;
    let library = &who.library;
    let previous = custody.store().read(library.id, sql::current)?;
    let previous_doc = previous.as_ref().map(parse_stored).transpose()?;
    let (text, _) = check(library, previous_doc.as_ref(), input).map_err(PublishError::Refused)?;
    let now = Utc::now().naive_utc();
    let new_uses = input.new_uses.join(",");
    let summary = input.summary.trim();
    let actor = who.actor();
    let version = custody.store().write(library.id, |tx| {
        let version = sql::publish(
            tx,
            &NewVersion {
                document: &text,
                summary,
                new_uses: &new_uses,
                published_by: who.account.0,
                now,
            },
        )?;
        // The document is the source of the retention periods from now on:
        // the library's own periods are reset to it (`PUT …/retention` may
        // tighten them again, never past this version).
        store::retention::set_periods(tx, &[], now)?;
        let purpose = format!("privacy policy version {version} published");
        gate::record(
            tx,
            &Entry {
                actor: &actor,
                action: "privacy_policy.publish",
                subject: &Subject::Nobody,
                purpose: &purpose,
                ruling: Ruling::allow_by(Clause::ShortestTimePossible),
            },
            now,
        )?;
        Ok::<_, CustodyError>(version)
    })?;
    let notice = if input.new_uses.is_empty() {
        None
    } else {
        Some(queue_notice(custody, library, version)?)
    };
    Ok(Published {
        version,
        published_at: now,
        notice,
    })
}

/// Where the admin's next version starts: the version in force as TOML, or
/// the jurisdiction's shipped document when none was published.
#[derive(Debug, Clone, Serialize)]
pub struct Draft {
    /// The version in force; 0 for none.
    pub current_version: i64,
    /// Its document, TOML.
    pub document_toml: String,
    /// Its uses' keys, which a new version need not list again.
    pub current_uses: Vec<String>,
}

/// The starting point of the admin's next version.
pub fn draft(custody: &Custody, who: &StaffMember) -> CustodyResult<Draft> {
    admin_only(who)?;
    let current = custody.store().read(who.library.id, sql::current)?;
    match current {
        Some(v) => Ok(Draft {
            current_version: v.version,
            current_uses: parse_stored(&v)?
                .uses()
                .iter()
                .map(|u| u.key.clone())
                .collect(),
            document_toml: v.document,
        }),
        None => Ok(Draft {
            current_version: 0,
            document_toml: policy::document::shipped_toml(jurisdiction_of(&who.library)?)
                .to_owned(),
            current_uses: Vec::new(),
        }),
    }
}

/// Why a version was not published.
#[derive(Debug)]
pub enum PublishError {
    /// The policy crate, or the rules of versions, refused it.
    Refused(Refusal),
    /// Anything else.
    Custody(CustodyError),
}

impl From<CustodyError> for PublishError {
    fn from(e: CustodyError) -> Self {
        PublishError::Custody(e)
    }
}

impl From<StoreError> for PublishError {
    fn from(e: StoreError) -> Self {
        PublishError::Custody(e.into())
    }
}

fn notice_of(library: &Library, v: &StoredVersion, doc: &PolicyDocument) -> PolicyNotice {
    PolicyNotice {
        library: library.name.clone(),
        slug: library.slug.clone(),
        version: v.version,
        summary: v.summary.clone(),
        new_uses: split_uses(&v.new_uses)
            .iter()
            .filter_map(|k| doc.optional_use(k).map(UseView::from))
            .collect(),
    }
}

/// Queues a version's notice to every patron of the library with an email
/// not told of it yet, [`NOTICE_BATCH`] at a time; safe to run again.
pub fn queue_notice(
    custody: &Custody,
    library: &Library,
    version: i64,
) -> CustodyResult<NoticeQueued> {
    queue_notice_in_batches(custody, library, version, NOTICE_BATCH, None)
}

/// [`queue_notice`] with its batch size, stopping after `max_batches` when
/// given (a run cut short, as a crash would, for the tests).
pub fn queue_notice_in_batches(
    custody: &Custody,
    library: &Library,
    version: i64,
    batch: i64,
    max_batches: Option<usize>,
) -> CustodyResult<NoticeQueued> {
    let Some(notifier) = custody.policy_notifier() else {
        return Err(CustodyError::Internal(
            "no mailroom to queue the policy notice through".into(),
        ));
    };
    let stored = custody.store().read(library.id, |tx| {
        sql::versions(tx).map(|vs| vs.into_iter().find(|v| v.version == version))
    })?;
    let stored = stored.ok_or(CustodyError::NotFound)?;
    let doc = parse_stored(&stored)?;
    let notice = notice_of(library, &stored, &doc);
    let shared = notifier.shared_policy_notice(&notice)?;
    // One sealed letter per version, found again by a rerun.
    let purpose = format!("policy_notice/{version}");
    let body_id = custody.store().write(library.id, |tx| {
        match store::outbox::body_for(tx, &purpose)? {
            Some(id) => Ok::<_, CustodyError>(id),
            None => Ok(store::outbox::create_body(
                tx,
                custody.keys(),
                &purpose,
                &shared.body,
                Utc::now().naive_utc(),
            )?),
        }
    })?;
    let mut after = custody
        .store()
        .read(library.id, |tx| sql::notice_cursor(tx, version))?;
    let mut queued = 0u64;
    let mut batches = 0usize;
    while max_batches.is_none_or(|m| batches < m) {
        let (n, last) = custody.store().write(library.id, |tx| {
            queue_batch(tx, version, body_id, &shared, after, batch)
        })?;
        queued += n;
        batches += 1;
        notifier.queued();
        match last {
            Some(p) => after = p,
            None => break,
        }
    }
    Ok(NoticeQueued { queued })
}

// One batch in one transaction: the next patrons with an email after
// `after` (ids only: nothing is opened or sealed per patron), a small outbox
// row each on the version's shared letter, and the record of who was told.
fn queue_batch(
    tx: &mut LibraryTx<'_>,
    version: i64,
    body_id: i64,
    shared: &SharedNotice,
    after: PatronId,
    batch: i64,
) -> CustodyResult<(u64, Option<PatronId>)> {
    let who = sql::patrons_with_email_after(tx, after, batch)?;
    let Some(last) = who.last().copied().map(PatronId) else {
        return Ok((0, None));
    };
    // Batches commit in patron order and each resumes after the last patron
    // told, so nobody in `who` was told yet; a second runner racing this one
    // fails on the notices' primary key and its whole batch (messages
    // included) rolls back, so nobody is told twice either way.
    let now = Utc::now().naive_utc();
    let outbox_ids = store::outbox::enqueue_shared(
        tx,
        &store::outbox::SharedBatch {
            body_id,
            template: shared.template,
            message_id_prefix: &shared.message_id_prefix,
            message_id_suffix: &shared.message_id_suffix,
            now,
        },
        &who,
    )?;
    let rows: Vec<(PatronId, i64)> = who.iter().copied().map(PatronId).zip(outbox_ids).collect();
    sql::record_notices(tx, version, &rows, now)?;
    Ok((rows.len() as u64, Some(last)))
}

/// Finishes every library's interrupted notices (a crash mid-queue); returns
/// how many messages it queued.
pub fn resume_notices(custody: &Custody) -> CustodyResult<u64> {
    let libraries = custody.store().consortium(store::Access::Read, |c| {
        store::libraries::list(c, None, i64::from(u16::MAX))
    })?;
    let mut total = 0;
    for library in libraries {
        let versions = custody.store().read(library.id, sql::noticed_versions)?;
        for v in versions {
            total += queue_notice(custody, &library, v.version)?.queued;
        }
    }
    Ok(total)
}

fn library_by_slug(custody: &Custody, slug: &str) -> CustodyResult<Library> {
    Ok(custody
        .store()
        .consortium(store::Access::Read, |c| store::libraries::by_slug(c, slug))?)
}

/// A library's policy for anyone: the version in force in plain words and every earlier one.
pub fn public(custody: &Custody, slug: &str) -> CustodyResult<PublicPolicy> {
    let library = library_by_slug(custody, slug)?;
    let versions = custody.store().read(library.id, sql::versions)?;
    let (doc, head) = match versions.first() {
        Some(v) => (parse_stored(v)?, Some(v)),
        None => (
            PolicyDocument::shipped(jurisdiction_of(&library)?)
                .map_err(|e| CustodyError::Internal(e.to_string()))?,
            None,
        ),
    };
    let rules = plain::rules(&doc);
    let vendors = crate::vendors::public_list(custody, slug)?
        .items
        .into_iter()
        .map(|v| PolicyVendor {
            name: v.name,
            service: v.service,
            privacy_policy_url: v.privacy_policy_url,
            contract_ends: v.contract_ends,
        })
        .collect();
    let current = CurrentPolicy {
        version: head.map_or(0, |v| v.version),
        published_at: head.map(|v| v.published_at),
        summary: head.map(|v| v.summary.clone()).unwrap_or_default(),
        text: doc.text().to_owned(),
        statutes: doc.jurisdiction().profile().statutes,
        collected: rules.collected,
        kept: rules.kept,
        recipients: rules.recipients,
        children: rules.children,
        children_naming: doc.children_naming(),
        children_example: policy::minors::public_display_name(
            "Ada Lovelace",
            doc.children_naming(),
        ),
        uses: doc.uses().iter().map(UseView::from).collect(),
        vendors,
    };
    let earlier = versions
        .iter()
        .skip(1)
        .map(|v| VersionSummary {
            version: v.version,
            published_at: v.published_at,
            summary: v.summary.clone(),
            new_uses: split_uses(&v.new_uses),
        })
        .collect();
    Ok(PublicPolicy {
        library: library.name,
        slug: library.slug,
        current,
        versions: earlier,
    })
}

/// The public policy and, between two versions (by default the last two),
/// its difference: what the public page shows.
pub fn public_page(
    custody: &Custody,
    slug: &str,
    between: Option<(i64, i64)>,
) -> CustodyResult<(PublicPolicy, Option<Difference>)> {
    let policy = public(custody, slug)?;
    let between = between.or_else(|| {
        policy
            .versions
            .first()
            .map(|earlier| (earlier.version, policy.current.version))
    });
    let difference = match between {
        Some((from, to)) => Some(difference(custody, slug, from, to)?),
        None => None,
    };
    Ok((policy, difference))
}

/// The line-by-line difference between two published versions of a library's policy.
pub fn difference(custody: &Custody, slug: &str, from: i64, to: i64) -> CustodyResult<Difference> {
    let library = library_by_slug(custody, slug)?;
    let versions = custody.store().read(library.id, sql::versions)?;
    let lines_of = |n: i64| -> CustodyResult<Vec<String>> {
        let v = versions
            .iter()
            .find(|v| v.version == n)
            .ok_or(CustodyError::NotFound)?;
        Ok(plain::as_lines(&parse_stored(v)?))
    };
    let (a, b) = (lines_of(from)?, lines_of(to)?);
    Ok(Difference {
        from,
        to,
        lines: plain::diff(&a, &b),
    })
}

/// How custodian names a person in public at a library: by its policy's
/// children's rule. Every public display of a person's name calls this.
pub fn public_name(custody: &Custody, library: &Library, full_name: &str) -> CustodyResult<String> {
    let naming = custody
        .store()
        .read(library.id, |tx| document_in(tx, custody, library))?
        .children_naming();
    Ok(policy::minors::public_display_name(full_name, naming))
}

/// The notice a patron has not dismissed: the newest version that added uses.
pub fn my_notice(custody: &Custody, me: &PatronSelf) -> CustodyResult<Option<PatronNotice>> {
    custody
        .store()
        .read(me.library, |tx| notice_in(tx, me.patron))
}

/// [`my_notice`] inside the caller's transaction.
pub fn notice_in(tx: &mut LibraryTx<'_>, patron: PatronId) -> CustodyResult<Option<PatronNotice>> {
    let dismissed = sql::dismissed(tx, patron)?.unwrap_or(0);
    let Some(v) = sql::noticed_versions(tx)?.into_iter().next() else {
        return Ok(None);
    };
    if v.version <= dismissed {
        return Ok(None);
    }
    let doc = parse_stored(&v)?;
    Ok(Some(PatronNotice {
        version: v.version,
        summary: v.summary.clone(),
        new_uses: split_uses(&v.new_uses)
            .iter()
            .filter_map(|k| doc.optional_use(k).map(UseView::from))
            .collect(),
        published_at: v.published_at,
    }))
}

/// Dismisses the notice of `version` (and every earlier one) for the patron.
pub fn dismiss_notice(custody: &Custody, me: &PatronSelf, version: i64) -> CustodyResult<()> {
    let now = Utc::now().naive_utc();
    custody.store().write(me.library, |tx| {
        let exists = sql::versions(tx)?.iter().any(|v| v.version == version);
        if !exists {
            return Err(CustodyError::NotFound);
        }
        sql::dismiss(tx, me.patron, version, now)?;
        Ok(())
    })
}

fn library_of(custody: &Custody, id: LibraryId) -> CustodyResult<Library> {
    Ok(custody
        .store()
        .consortium(store::Access::Read, |c| store::libraries::by_id(c, id))?)
}

/// A patron's choices on the current policy's uses, inside the caller's transaction.
pub fn opt_outs_in(
    tx: &mut LibraryTx<'_>,
    custody: &Custody,
    library: &Library,
    patron: PatronId,
) -> CustodyResult<OptOuts> {
    let doc = document_in(tx, custody, library)?;
    let version = sql::current(tx)?.map_or(0, |v| v.version);
    let chosen = sql::opt_outs(tx, patron)?;
    let opt_outs = doc
        .uses()
        .iter()
        .map(|u| {
            let out = chosen.iter().any(|c| c.use_key == u.key && c.opted_out);
            (u.key.clone(), out)
        })
        .collect();
    Ok(OptOuts {
        version,
        opt_outs,
        uses: doc.uses().iter().map(UseView::from).collect(),
    })
}

/// The patron's choices on the current policy's optional uses.
pub fn my_opt_outs(custody: &Custody, me: &PatronSelf) -> CustodyResult<OptOuts> {
    let library = library_of(custody, me.library)?;
    custody.store().read(me.library, |tx| {
        opt_outs_in(tx, custody, &library, me.patron)
    })
}

/// Sets the patron's choices (`true` = opted out) for uses the current policy
/// names; each change goes into the consent ledger with the policy version.
pub fn set_my_opt_outs(
    custody: &Custody,
    me: &PatronSelf,
    choices: &BTreeMap<String, bool>,
) -> CustodyResult<OptOuts> {
    let library = library_of(custody, me.library)?;
    let now = Utc::now().naive_utc();
    custody.store().write(me.library, |tx| {
        let doc = document_in(tx, custody, &library)?;
        let version = sql::current(tx)?.map_or(0, |v| v.version);
        for key in choices.keys() {
            if doc.optional_use(key).is_none() {
                return Err(CustodyError::Invalid {
                    field: "opt_outs",
                    detail: format!(
                        "{} is not an optional use of this library's policy",
                        if policy::document::is_use_key(key) {
                            key.as_str()
                        } else {
                            "a key"
                        }
                    ),
                });
            }
        }
        let before = sql::opt_outs(tx, me.patron)?;
        for (key, &out) in choices {
            let was = before
                .iter()
                .find(|c| &c.use_key == key)
                .is_some_and(|c| c.opted_out);
            if was == out {
                continue;
            }
            let scope = format!("{key}, under privacy policy version {version}");
            let consent_id = store::patrons::add_consent(
                tx,
                custody.keys(),
                me.patron,
                &store::patrons::NewConsent {
                    kind: if out { "opt_out" } else { "opt_in" },
                    scope: &scope,
                    given_by: "the patron",
                    granted_at: now,
                    expires_at: None,
                },
            )?;
            sql::set_opt_out(
                tx,
                me.patron,
                &OptOut {
                    use_key: key.clone(),
                    opted_out: out,
                    policy_version: version,
                    consent_id,
                    updated_at: now,
                },
            )?;
        }
        opt_outs_in(tx, custody, &library, me.patron)
    })
}

/// The decision on one use for many patrons at once (an export, a mailing):
/// the same as [`use_allows`] makes for each, with the opt-outs read in one
/// query rather than one a patron.
#[derive(Debug, Clone)]
pub struct UseFilter {
    doc: Arc<PolicyDocument>,
    version: i64,
    use_key: String,
    opted_out: HashSet<PatronId>,
}

impl UseFilter {
    /// Whether the use may include `patron`.
    pub fn allows(&self, patron: PatronId) -> plain::UseDecision {
        plain::decide_use(&self.doc, &self.use_key, self.opted_out.contains(&patron))
    }

    /// The policy version decided under; 0 for the jurisdiction's document.
    pub fn version(&self) -> i64 {
        self.version
    }
}

/// The decision on `use_key` for every patron of the library, under the
/// policy in force in the caller's transaction.
pub fn use_filter(
    tx: &mut LibraryTx<'_>,
    custody: &Custody,
    library: &Library,
    use_key: &str,
) -> CustodyResult<UseFilter> {
    let doc = document_in(tx, custody, library)?;
    let version = sql::current(tx)?.map_or(0, |v| v.version);
    let opted_out = sql::opted_out_of(tx, use_key)?.into_iter().collect();
    Ok(UseFilter {
        doc,
        version,
        use_key: use_key.to_owned(),
        opted_out,
    })
}

/// Whether a use may include a patron: the policy names it and they have not opted out.
pub fn use_allows(
    tx: &mut LibraryTx<'_>,
    custody: &Custody,
    library: &Library,
    patron: PatronId,
    use_key: &str,
) -> CustodyResult<plain::UseDecision> {
    let doc = document_in(tx, custody, library)?;
    let out = sql::is_opted_out(tx, patron, use_key)?;
    Ok(plain::decide_use(&doc, use_key, out))
}
