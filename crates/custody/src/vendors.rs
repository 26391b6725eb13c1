//! Contracted vendors (#14): a library's contracts, the keys their services
//! present, and the one patron-status check REST and SIP2 both answer from.
//!
//! A contract grants fields from a fixed list; the check asks the policy
//! crate (`Basis::Vendor`) with exactly the grant, so the decision and its
//! clause are the policy's, and every check is in the library's audit chain
//! with the sentence the patron's access log shows.
//!
//! Ending a contract early: `contract_ends` may be moved to today or any
//! earlier day (not before `contract_starts`), never later than it was, so a
//! contract is never extended by PATCH; a longer contract is a new contract.

use crate::actor::{Actor, StaffMember, Subject};
use crate::error::{CustodyError, CustodyResult};
use crate::gate::{Ask, Entry, Ruling};
use crate::values::Purpose;
use crate::Custody;
use chrono::{NaiveDate, NaiveDateTime, Utc};
use policy::clause::Clause;
use policy::disclosure::{Basis, DisclosureRequest, Relation, Requester, VendorGrant};
use policy::records::{Field, FieldSet, KindSet, RecordKind};
use policy::staff::LibraryRole;
use rand::distributions::{Alphanumeric, DistString};
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};
use store::vendors::{self as sql, NewVendor, Vendor, VendorKey};
use store::{patrons, LibraryId, StoreError};

/// The fields a contract may grant.
pub const FIELDS: [&str; 6] = [
    "card_valid",
    "name",
    "email",
    "home_branch",
    "age_band",
    "expires_on",
];

/// A vendor key that authenticated: its library and what its contract grants.
#[derive(Debug, Clone)]
pub struct VendorCaller {
    /// The key's library (`store::LibraryId`).
    pub library: LibraryId,
    /// The vendor.
    pub vendor_id: i64,
    /// `cvk_…`
    pub key_id: String,
    /// The vendor's name.
    pub vendor_name: String,
    /// What it provides.
    pub service: String,
    /// The granted fields, from [`FIELDS`].
    pub fields: Vec<String>,
}

/// A patron's status as the contract lets the vendor see it.
#[derive(Debug, Clone, Default, Serialize, PartialEq, Eq, utoipa::ToSchema)]
#[schema(example = json!({"valid": true, "card_valid": true, "age_band": "minor"}))]
pub struct PatronStatus {
    /// A card of the caller's library, usable, and the PIN right when given.
    pub valid: bool,
    /// Whether the PIN was right, when one was given.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub pin_valid: Option<bool>,
    /// Whether the card is in good standing (granted `card_valid`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub card_valid: Option<bool>,
    /// The patron's name (granted `name`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    /// The patron's email (granted `email`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub email: Option<String>,
    /// The home branch (granted `home_branch`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub home_branch: Option<String>,
    /// `adult` or `minor` (granted `age_band`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub age_band: Option<String>,
    /// The card's expiry (granted `expires_on`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub expires_on: Option<String>,
}

/// A contract as an admin enters it.
#[derive(Debug, Clone, Default, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({"name": "Readwell Reading Programs", "service": "summer reading app", "privacy_policy_url": "https://readwell.demo.custodian.test/privacy", "contract_starts": "2026-01-01", "contract_ends": "2026-12-31", "fields": ["card_valid", "age_band"], "purpose": "check that a reader's card is valid before they join the summer program", "erasure_contact": "privacy@readwell.demo.custodian.test", "use": "reading_program"}))]
pub struct NewContract {
    /// The vendor's name: required, not blank, at most 200 characters.
    #[schema(value_type = String, required = true, min_length = 1, max_length = 200, pattern = "\\S")]
    pub name: Option<String>,
    /// What it provides: required, not blank, at most 200 characters.
    #[schema(value_type = String, required = true, min_length = 1, max_length = 200, pattern = "\\S")]
    pub service: Option<String>,
    /// Its privacy policy, an http(s) address.
    #[schema(value_type = String, required = true, max_length = 500, pattern = "^\\s*https?://\\S+\\s*$")]
    pub privacy_policy_url: Option<String>,
    /// The first day (YYYY-MM-DD).
    #[schema(value_type = String, required = true, format = Date)]
    pub contract_starts: Option<String>,
    /// The last day (YYYY-MM-DD), not before the first.
    #[schema(value_type = String, required = true, format = Date)]
    pub contract_ends: Option<String>,
    /// Granted fields, from [`FIELDS`].
    #[serde(default)]
    pub fields: Vec<String>,
    /// Why the vendor checks cards: required, not blank, at most 500 characters.
    #[schema(value_type = String, required = true, min_length = 1, max_length = 500, pattern = "\\S")]
    pub purpose: Option<String>,
    /// Whom to tell when a patron is deleted.
    #[serde(default)]
    pub erasure_contact: Option<String>,
    /// The optional use of the library's privacy policy the contract serves
    /// (`reading_program`): a patron who opted out of it is not valid for it.
    #[serde(default, rename = "use")]
    pub use_key: Option<String>,
}

/// A change to a contract; absent fields stay.
#[derive(Debug, Clone, Default, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({"contract_ends": "2026-06-30", "purpose": "summer program only"}))]
pub struct ContractChange {
    /// The vendor's name: not blank, at most 200 characters.
    #[schema(min_length = 1, max_length = 200, pattern = "\\S")]
    pub name: Option<String>,
    /// What it provides: not blank, at most 200 characters.
    #[schema(min_length = 1, max_length = 200, pattern = "\\S")]
    pub service: Option<String>,
    /// Its privacy policy.
    pub privacy_policy_url: Option<String>,
    /// The last day: today or earlier ends the contract early; never later than it was.
    pub contract_ends: Option<String>,
    /// Why: not blank, at most 500 characters.
    #[schema(min_length = 1, max_length = 500, pattern = "\\S")]
    pub purpose: Option<String>,
    /// Whom to tell when a patron is deleted.
    pub erasure_contact: Option<String>,
}

/// A contract as the API shows it.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
#[schema(example = json!({"id": 3, "name": "Readwell Reading Programs", "service": "summer reading app", "privacy_policy_url": "https://readwell.demo.custodian.test/privacy", "contract_starts": "2026-01-01", "contract_ends": "2026-12-31", "fields": ["card_valid", "age_band"], "purpose": "check that a reader's card is valid before they join the summer program", "erasure_contact": "privacy@readwell.demo.custodian.test", "use": "reading_program", "in_force": true, "created_at": "2026-01-02T09:30:00Z", "updated_at": "2026-01-02T09:30:00Z"}))]
pub struct VendorView {
    /// Its id.
    pub id: i64,
    /// The vendor's name.
    pub name: String,
    /// What it provides.
    pub service: String,
    /// Its privacy policy.
    pub privacy_policy_url: String,
    /// The first day.
    pub contract_starts: String,
    /// The last day.
    pub contract_ends: String,
    /// Granted fields.
    pub fields: Vec<String>,
    /// Why.
    pub purpose: String,
    /// Whom to tell when a patron is deleted.
    pub erasure_contact: Option<String>,
    /// The optional use it serves, if any.
    #[serde(rename = "use")]
    pub use_key: Option<String>,
    /// Whether the contract runs today.
    pub in_force: bool,
    /// When entered.
    #[serde(with = "store::time::rfc3339")]
    pub created_at: NaiveDateTime,
    /// When last changed.
    #[serde(with = "store::time::rfc3339")]
    pub updated_at: NaiveDateTime,
}

/// A contract as the public sees it.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct PublicVendor {
    /// The vendor's name.
    pub name: String,
    /// What it provides.
    pub service: String,
    /// Its privacy policy.
    pub privacy_policy_url: String,
    /// The last day of the contract.
    pub contract_ends: String,
}

/// A key as lists show it (no secret).
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
#[schema(example = json!({"id": "cvk_8f3a1c2d4e5b6a70", "created_at": "2026-01-02T09:31:00Z", "last_used_at": "2026-03-14T16:02:11Z", "revoked_at": null}))]
pub struct KeyView {
    /// `cvk_…`
    pub id: String,
    /// When made.
    #[serde(with = "store::time::rfc3339")]
    pub created_at: NaiveDateTime,
    /// When last used.
    #[serde(with = "store::time::rfc3339_option")]
    pub last_used_at: Option<NaiveDateTime>,
    /// When revoked.
    #[serde(with = "store::time::rfc3339_option")]
    pub revoked_at: Option<NaiveDateTime>,
}

/// A new key, shown once.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
#[schema(example = json!({"id": "cvk_8f3a1c2d4e5b6a70", "secret": "q3Zp9XexampleSecretOnly0nce", "key": "cvk_8f3a1c2d4e5b6a70.q3Zp9XexampleSecretOnly0nce", "created_at": "2026-01-02T09:31:00Z"}))]
pub struct NewKey {
    /// `cvk_…`, public.
    pub id: String,
    /// The secret; only its hash is kept.
    pub secret: String,
    /// `{id}.{secret}`, what the vendor sends as a bearer token.
    pub key: String,
    /// When made.
    #[serde(with = "store::time::rfc3339")]
    pub created_at: NaiveDateTime,
}

fn invalid(field: &'static str, detail: impl Into<String>) -> CustodyError {
    CustodyError::Invalid {
        field,
        detail: detail.into(),
    }
}

fn day(field: &'static str, raw: Option<&str>) -> CustodyResult<NaiveDate> {
    let raw = raw.map(str::trim).unwrap_or_default();
    NaiveDate::parse_from_str(raw, "%Y-%m-%d")
        .map_err(|_| invalid(field, format!("give {field} as a date, YYYY-MM-DD")))
}

fn text(field: &'static str, raw: Option<String>, max: usize) -> CustodyResult<String> {
    match raw.as_deref().map(str::trim) {
        Some(t) if !t.is_empty() && t.chars().count() <= max => Ok(t.to_owned()),
        _ => Err(invalid(
            field,
            format!("give {field}, at most {max} characters"),
        )),
    }
}

fn url(raw: Option<String>) -> CustodyResult<String> {
    let u = text("privacy_policy_url", raw, 500)?;
    let rest = u
        .strip_prefix("https://")
        .or_else(|| u.strip_prefix("http://"));
    match rest {
        Some(host) if !host.is_empty() && !u.contains(char::is_whitespace) => Ok(u),
        _ => Err(invalid(
            "privacy_policy_url",
            "give the vendor's privacy policy as an http:// or https:// address",
        )),
    }
}

fn check_fields(fields: &[String]) -> CustodyResult<String> {
    let mut out: Vec<&str> = Vec::new();
    for f in fields {
        let Some(known) = FIELDS.iter().find(|k| **k == f.as_str()) else {
            return Err(invalid(
                "fields",
                format!("{f:?} cannot be granted; choose from {}", FIELDS.join(", ")),
            ));
        };
        if !out.contains(known) {
            out.push(known);
        }
    }
    Ok(out.join(","))
}

fn field_list(stored: &str) -> Vec<String> {
    stored
        .split(',')
        .filter(|f| !f.is_empty())
        .map(str::to_owned)
        .collect()
}

fn in_force(v: &Vendor, today: NaiveDate) -> bool {
    let starts = NaiveDate::parse_from_str(&v.contract_starts, "%Y-%m-%d").ok();
    let ends = NaiveDate::parse_from_str(&v.contract_ends, "%Y-%m-%d").ok();
    matches!((starts, ends), (Some(s), Some(e)) if s <= today && today <= e)
}

fn view(v: Vendor, today: NaiveDate) -> VendorView {
    VendorView {
        in_force: in_force(&v, today),
        id: v.id,
        fields: field_list(&v.fields),
        name: v.name,
        service: v.service,
        privacy_policy_url: v.privacy_policy_url,
        contract_starts: v.contract_starts,
        contract_ends: v.contract_ends,
        purpose: v.purpose,
        erasure_contact: v.erasure_contact,
        use_key: v.use_key,
        created_at: v.created_at,
        updated_at: v.updated_at,
    }
}

fn key_view(k: VendorKey) -> KeyView {
    KeyView {
        id: k.id,
        created_at: k.created_at,
        last_used_at: k.last_used_at,
        revoked_at: k.revoked_at,
    }
}

fn admin_only(who: &StaffMember) -> CustodyResult<()> {
    if who.role == LibraryRole::Staff {
        return Err(CustodyError::Forbidden(
            "only a library admin manages vendor contracts and keys",
        ));
    }
    Ok(())
}

// Changes to contracts and keys are the library's own administration: the
// admin's role was checked above, so the chain records them as allowed by it.
const ADMIN_RULING: Ruling = Ruling::allow_by(Clause::VendorContract);

fn audit(
    tx: &mut store::LibraryTx<'_>,
    who: &StaffMember,
    action: &str,
    vendor: i64,
) -> store::StoreResult<()> {
    crate::legal::step(
        tx,
        &Entry {
            actor: &who.actor(),
            action,
            subject: &Subject::Vendor(vendor),
            purpose: "",
            ruling: ADMIN_RULING,
        },
        false,
    )
    .map(drop)
}

fn today() -> NaiveDate {
    Utc::now().date_naive()
}

/// Enters a contract (the library's admin); audited `vendor.create`.
pub fn create(custody: &Custody, who: &StaffMember, c: NewContract) -> CustodyResult<VendorView> {
    admin_only(who)?;
    let starts = day("contract_starts", c.contract_starts.as_deref())?;
    let ends = day("contract_ends", c.contract_ends.as_deref())?;
    if ends < starts {
        return Err(invalid(
            "contract_ends",
            "the contract cannot end before it starts; give contract_ends on or after contract_starts",
        ));
    }
    let new =
        NewVendor {
            name: text("name", c.name, 200)?,
            service: text("service", c.service, 200)?,
            privacy_policy_url: url(c.privacy_policy_url)?,
            contract_starts: starts.format("%Y-%m-%d").to_string(),
            contract_ends: ends.format("%Y-%m-%d").to_string(),
            fields: check_fields(&c.fields)?,
            purpose: text("purpose", c.purpose, 500)?,
            erasure_contact: match c.erasure_contact {
                Some(e) if !e.trim().is_empty() => Some(text("erasure_contact", Some(e), 320)?),
                _ => None,
            },
            use_key: match c.use_key.as_deref().map(str::trim) {
                Some("") | None => None,
                Some(k) if policy::document::is_use_key(k) => Some(k.to_owned()),
                Some(_) => return Err(invalid(
                    "use",
                    "name a use of the library's privacy policy: lowercase letters, digits and _",
                )),
            },
        };
    let now = Utc::now().naive_utc();
    let v = custody.store().write(who.library.id, |tx| {
        let id = sql::insert(tx, &new, now)?;
        audit(tx, who, "vendor.create", id)?;
        sql::get(tx, id)
    })?;
    Ok(view(v, today()))
}

/// The library's contracts (its admin).
pub fn list(custody: &Custody, who: &StaffMember) -> CustodyResult<Vec<VendorView>> {
    admin_only(who)?;
    let t = today();
    Ok(custody
        .store()
        .read(who.library.id, sql::list)?
        .into_iter()
        .map(|v| view(v, t))
        .collect())
}

/// One contract (its library's admin).
pub fn get(custody: &Custody, who: &StaffMember, id: i64) -> CustodyResult<VendorView> {
    admin_only(who)?;
    let v = custody
        .store()
        .read(who.library.id, |tx| sql::get(tx, id))?;
    Ok(view(v, today()))
}

/// Changes a contract; `contract_ends` may only move earlier (see the module docs). Audited `vendor.update`.
pub fn patch(
    custody: &Custody,
    who: &StaffMember,
    id: i64,
    c: ContractChange,
) -> CustodyResult<VendorView> {
    admin_only(who)?;
    let now = Utc::now().naive_utc();
    let v = custody.store().write(who.library.id, |tx| {
        let mut v = sql::get(tx, id)?;
        if c.name.is_some() {
            v.name = text("name", c.name, 200)?;
        }
        if c.service.is_some() {
            v.service = text("service", c.service, 200)?;
        }
        if c.privacy_policy_url.is_some() {
            v.privacy_policy_url = url(c.privacy_policy_url)?;
        }
        if c.purpose.is_some() {
            v.purpose = text("purpose", c.purpose, 500)?;
        }
        if let Some(e) = c.erasure_contact {
            v.erasure_contact = if e.trim().is_empty() {
                None
            } else {
                Some(text("erasure_contact", Some(e), 320)?)
            };
        }
        if let Some(raw) = c.contract_ends.as_deref() {
            let ends = day("contract_ends", Some(raw))?;
            let was = day("contract_ends", Some(&v.contract_ends))?;
            let starts = day("contract_starts", Some(&v.contract_starts))?;
            if ends > was {
                return Err(invalid(
                    "contract_ends",
                    format!("a contract can be ended early but not extended (it ends on {was}); enter a new contract for a longer term"),
                ));
            }
            if ends < starts {
                return Err(invalid(
                    "contract_ends",
                    format!("the contract cannot end before it starts ({starts})"),
                ));
            }
            v.contract_ends = ends.format("%Y-%m-%d").to_string();
        }
        sql::update(tx, &v, now)?;
        audit(tx, who, "vendor.update", id)?;
        Ok(sql::get(tx, id)?)
    })?;
    Ok(view(v, today()))
}

fn hash_secret(secret: &str) -> String {
    hex::encode(Sha256::digest(secret.as_bytes()))
}

/// Makes a key for a vendor; the secret is in the answer only. Audited `vendor.key.create`.
pub fn create_key(custody: &Custody, who: &StaffMember, vendor: i64) -> CustodyResult<NewKey> {
    admin_only(who)?;
    let mut rng = rand::thread_rng();
    let id = format!(
        "cvk_{}",
        Alphanumeric.sample_string(&mut rng, 16).to_lowercase()
    );
    let secret = Alphanumeric.sample_string(&mut rng, 40);
    let now = Utc::now().naive_utc();
    custody.store().write(who.library.id, |tx| {
        sql::get(tx, vendor)?;
        sql::insert_key(tx, vendor, &id, &hash_secret(&secret), now)?;
        audit(tx, who, "vendor.key.create", vendor)
    })?;
    Ok(NewKey {
        key: format!("{id}.{secret}"),
        id,
        secret,
        created_at: now,
    })
}

/// A vendor's keys, with when each was last used.
pub fn list_keys(custody: &Custody, who: &StaffMember, vendor: i64) -> CustodyResult<Vec<KeyView>> {
    admin_only(who)?;
    let keys = custody.store().read(who.library.id, |tx| {
        sql::get(tx, vendor)?;
        sql::keys(tx, vendor)
    })?;
    Ok(keys.into_iter().map(key_view).collect())
}

/// Revokes a key at once. Audited `vendor.key.revoke`.
pub fn revoke_key(
    custody: &Custody,
    who: &StaffMember,
    vendor: i64,
    key_id: &str,
) -> CustodyResult<()> {
    admin_only(who)?;
    let now = Utc::now().naive_utc();
    custody.store().write(who.library.id, |tx| {
        sql::revoke_key(tx, vendor, key_id, now)?;
        audit(tx, who, "vendor.key.revoke", vendor)
    })?;
    Ok(())
}

/// A library's contracts running today, as anyone may see them.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
#[schema(example = json!({"library": "Riverside Public Library", "items": [{"name": "Readwell Reading Programs", "service": "summer reading app", "privacy_policy_url": "https://readwell.demo.custodian.test/privacy", "contract_ends": "2026-12-31"}]}))]
pub struct PublicVendors {
    /// The library's name.
    pub library: String,
    /// Its vendors under contract today.
    pub items: Vec<PublicVendor>,
}

/// The contracts of the library with this slug running today, for anyone.
pub fn public_list(custody: &Custody, slug: &str) -> CustodyResult<PublicVendors> {
    let library = custody
        .store()
        .consortium(store::Access::Read, |c| store::libraries::by_slug(c, slug))?;
    let t = today();
    let items = custody
        .store()
        .read(library.id, sql::list)?
        .into_iter()
        .filter(|v| in_force(v, t))
        .map(|v| PublicVendor {
            name: v.name,
            service: v.service,
            privacy_policy_url: v.privacy_policy_url,
            contract_ends: v.contract_ends,
        })
        .collect();
    Ok(PublicVendors {
        library: library.name,
        items,
    })
}

/// Parses "Bearer cvk_….SECRET" style tokens: the full key is "{key_id}.{secret}".
pub fn split_key(key: &str) -> Option<(&str, &str)> {
    let key = key.trim();
    let key = key.strip_prefix("Bearer ").unwrap_or(key).trim();
    let (id, secret) = key.split_once('.')?;
    if !id.starts_with("cvk_") || secret.is_empty() {
        return None;
    }
    Some((id, secret))
}

fn same(a: &[u8], b: &[u8]) -> bool {
    // Constant time over equal lengths (both are hex SHA-256 digests).
    a.len() == b.len() && a.iter().zip(b).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
}

/// Checks a key at every request: its library, not revoked, contract running today.
pub fn authenticate(custody: &Custody, key_id: &str, secret: &str) -> CustodyResult<VendorCaller> {
    if !key_id.starts_with("cvk_") || key_id.len() > 64 {
        return Err(CustodyError::VendorKeyInvalid);
    }
    let Some((library, vendor_id)) = custody.store().vendor_key_owner(key_id)? else {
        return Err(CustodyError::VendorKeyInvalid);
    };
    let (key, vendor) = custody.store().read(library, |tx| {
        Ok::<_, StoreError>((sql::key(tx, key_id)?, sql::get(tx, vendor_id)?))
    })?;
    if !same(hash_secret(secret).as_bytes(), key.secret_hash.as_bytes()) || key.revoked_at.is_some()
    {
        return Err(CustodyError::VendorKeyInvalid);
    }
    let t = today();
    if !in_force(&vendor, t) {
        let detail = if vendor.contract_starts.as_str() > t.format("%Y-%m-%d").to_string().as_str()
        {
            format!("the contract starts on {}", vendor.contract_starts)
        } else {
            format!("the contract ended on {}", vendor.contract_ends)
        };
        return Err(CustodyError::ContractNotRunning(detail));
    }
    Ok(VendorCaller {
        library,
        vendor_id,
        key_id: key.id,
        vendor_name: vendor.name,
        service: vendor.service,
        fields: field_list(&vendor.fields),
    })
}

// What each granted field discloses, as the policy names fields: the card's
// own facts (standing, branch, expiry, adult or minor) are its registration.
fn policy_field(f: &str) -> Field {
    match f {
        "name" => Field::Name,
        "email" => Field::Email,
        _ => Field::CardNumber,
    }
}

fn verify_pin(pin: &str, phc: &str) -> bool {
    use argon2::password_hash::{PasswordHash, PasswordVerifier};
    match PasswordHash::new(phc) {
        Ok(parsed) => argon2::Argon2::default()
            .verify_password(pin.as_bytes(), &parsed)
            .is_ok(),
        Err(_) => false,
    }
}

/// The one function REST and SIP2 answer from; audited; access-log line
/// "VENDOR checked your card for SERVICE".
pub fn patron_status(
    custody: &Custody,
    caller: &VendorCaller,
    card_number: &str,
    pin: Option<&str>,
) -> CustodyResult<PatronStatus> {
    let store = custody.store();
    let library = store.consortium(store::Access::Read, |c| {
        store::libraries::by_id(c, caller.library)
    })?;
    let vendor = store.read(caller.library, |tx| sql::get(tx, caller.vendor_id))?;
    let starts = day("contract_starts", Some(&vendor.contract_starts))?;
    let ends = day("contract_ends", Some(&vendor.contract_ends))?;
    let granted = field_list(&vendor.fields);
    let card = card_number.trim();
    let found = if card.is_empty() || card.len() > 64 {
        None
    } else {
        match store.read(caller.library, |tx| {
            patrons::pin_by_card(tx, custody.keys(), card)
        }) {
            Ok(found) => Some(found),
            Err(StoreError::NotFound) => None,
            Err(e) => return Err(e.into()),
        }
    };
    let pin_ok = match (&found, pin) {
        (Some((_, phc)), Some(p)) => Some(verify_pin(p, phc)),
        (None, Some(p)) => {
            // As slow for an unknown card as for a known one.
            let _ = verify_pin(p, dummy_phc());
            Some(false)
        }
        (_, None) => None,
    };
    let valid = found.is_some() && pin_ok != Some(false);
    let mut fields = FieldSet::of(&[Field::CardNumber]);
    for f in &granted {
        fields = fields.union(FieldSet::of(&[policy_field(f)]));
    }
    let kinds = KindSet::of(&[RecordKind::CardRegistration]);
    let requester_id = caller.vendor_id.to_string();
    let grant = VendorGrant {
        vendor: &requester_id,
        kinds,
        fields,
        starts_on: starts,
        ends_on: ends,
    };
    let subject = match &found {
        Some((p, _)) if valid => Subject::Patron(*p),
        _ => Subject::Nobody,
    };
    let purpose = Purpose::stated_by_custodian(format!(
        "{} checked your card for {}",
        vendor.name, vendor.service
    ));
    let actor = Actor::Vendor(caller.vendor_id);
    let ask = Ask {
        actor: &actor,
        action: "vendor.patron_status",
        subject: &subject,
        purpose: &purpose,
        request: DisclosureRequest {
            requester: Requester::Vendor,
            requester_id: &requester_id,
            relation: Relation::Unrelated,
            kinds,
            fields,
            basis: Basis::Vendor(&grant),
        },
    };
    let now = Utc::now().naive_utc();
    if let (Subject::Patron(p), Some(use_key)) = (&subject, vendor.use_key.as_deref()) {
        // A patron who opted out of the use this contract serves is not valid
        // for it; the refusal is recorded like any other decision.
        let refused = store.write(caller.library, |tx| {
            let decision = crate::privacy_policy::use_allows(tx, custody, &library, *p, use_key)?;
            let policy::plain::UseDecision::Refuse(clause) = decision else {
                return Ok::<_, CustodyError>(false);
            };
            if clause != Clause::OptedOutOfUse {
                return Ok(false);
            }
            sql::touch_key(tx, &caller.key_id, now)?;
            crate::gate::record(
                tx,
                &Entry {
                    actor: &actor,
                    action: "vendor.patron_status",
                    subject: &subject,
                    purpose: purpose.as_str(),
                    ruling: Ruling {
                        allowed: false,
                        clause: clause.code(),
                    },
                },
                now,
            )?;
            Ok(true)
        })?;
        if refused {
            return Ok(PatronStatus::default());
        }
    }
    let key_id = caller.key_id.clone();
    let patron = match &subject {
        Subject::Patron(p) => Some(*p),
        _ => None,
    };
    custody.decided(&library, &ask, |tx, keys, _| {
        sql::touch_key(tx, &key_id, now)?;
        let Some(p) = patron else {
            // Unknown card, another library's, wrong PIN: one answer, nothing else.
            return Ok(PatronStatus {
                valid: false,
                ..PatronStatus::default()
            });
        };
        let data = patrons::get(tx, keys, p)?;
        let mut s = PatronStatus {
            valid: true,
            pin_valid: pin_ok,
            ..PatronStatus::default()
        };
        let (_, document) = custody.policies().in_force(tx, &library)?;
        let document = &*document;
        for f in &granted {
            match f.as_str() {
                "card_valid" => s.card_valid = Some(true),
                "name" => s.name = Some(data.data.name.clone()),
                "email" => s.email = data.data.email.clone(),
                "home_branch" => s.home_branch = Some(library.name.clone()),
                "age_band" => {
                    s.age_band = data.data.birth_date.map(|b| {
                        if policy::minors::is_minor(document, b, today()) {
                            "minor".to_owned()
                        } else {
                            "adult".to_owned()
                        }
                    })
                }
                // Cards do not expire in custodian yet; nothing to say.
                _ => {}
            }
        }
        Ok(s)
    })
}

// An argon2id hash of nothing anyone knows, at the cost the PINs use.
fn dummy_phc() -> &'static str {
    use argon2::password_hash::{rand_core::OsRng, PasswordHasher, SaltString};
    static DUMMY: std::sync::OnceLock<String> = std::sync::OnceLock::new();
    DUMMY.get_or_init(|| {
        let params = argon2::Params::new(19_456, 2, 1, None).unwrap_or_default();
        argon2::Argon2::new(argon2::Algorithm::Argon2id, argon2::Version::V0x13, params)
            .hash_password(b"not a real pin", &SaltString::generate(&mut OsRng))
            .map(|h| h.to_string())
            .unwrap_or_default()
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keys_split_at_the_first_dot_and_need_the_prefix() {
        assert_eq!(
            split_key("Bearer cvk_abc.s3cr3t"),
            Some(("cvk_abc", "s3cr3t"))
        );
        assert_eq!(split_key("cvk_abc.s3.cr3t"), Some(("cvk_abc", "s3.cr3t")));
        assert_eq!(split_key("cvk_abc."), None);
        assert_eq!(split_key("abc.secret"), None);
        assert_eq!(split_key("cvk_abc"), None);
    }

    #[test]
    fn only_the_fixed_fields_can_be_granted() {
        assert_eq!(
            check_fields(&["name".into(), "email".into(), "name".into()]).ok(),
            Some("name,email".into())
        );
        match check_fields(&["ssn".into()]) {
            Err(CustodyError::Invalid { field, detail }) => {
                assert_eq!(field, "fields");
                assert!(detail.contains("ssn"));
            }
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn secrets_compare_by_hash() {
        let h = hash_secret("abc");
        assert!(same(h.as_bytes(), hash_secret("abc").as_bytes()));
        assert!(!same(h.as_bytes(), hash_secret("abd").as_bytes()));
        assert!(!same(b"ab", b"abc"));
    }
}
