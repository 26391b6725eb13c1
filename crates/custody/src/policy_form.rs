//! The admin's privacy policy form (#16): what the page edits of a library's
//! policy document (its own words, the children's rule, the optional uses,
//! the retention period of each kind, and the bases of disclosure its
//! statute merely permits), composed over the version in force so that
//! everything the form does not show is carried over unchanged, then
//! published through [`crate::privacy_policy::publish`], the JSON API's own
//! call. A use not in the version in force is new, so patrons are told.

use crate::actor::StaffMember;
use crate::error::{CustodyError, CustodyResult};
use crate::privacy_policy::{
    self as pp, NewPolicyVersion, PublishError, Published, Refusal, UseView,
};
use crate::Custody;
use policy::document::PolicyDocument;
use policy::minors::ChildNaming;
use policy::records::RecordKind;
use policy::retention::PurgeMethod;
use policy::staff::LibraryRole;
use serde::Serialize;

/// One kind's retention row on the form.
#[derive(Debug, Clone, Serialize)]
pub struct KindRow {
    /// The kind, as the document names it (`holds_and_interlibrary_loans`).
    pub kind: &'static str,
    /// As a librarian reads it (`Holds and interlibrary loans`).
    pub label: String,
    /// Days in the version in force.
    pub days: u32,
    /// What happens then in the version in force.
    pub then: PurgeMethod,
    /// The longest the statute's profile allows.
    pub max_days: u32,
    /// Whether the profile requires deletion (anonymizing would keep too much).
    pub must_delete: bool,
}

/// A basis of disclosure the form offers, as on or off.
#[derive(Debug, Clone, Serialize)]
pub struct BasisRow {
    /// The document's key under `[disclosure]`.
    pub key: &'static str,
    /// Whether the version in force allows it.
    pub on: bool,
    /// The clause of the statute that permits it, when it does.
    pub permitted_by: Option<&'static str>,
}

/// Where the form starts: the version in force, field by field.
#[derive(Debug, Clone, Serialize)]
pub struct FormDraft {
    /// The version in force; 0 for the jurisdiction's document.
    pub current_version: i64,
    /// The statute the document is checked against.
    pub statutes: &'static str,
    /// The library's own words.
    pub text: String,
    /// How children are named in public.
    pub children_naming: ChildNaming,
    /// The optional uses.
    pub uses: Vec<UseView>,
    /// One row per record kind.
    pub retention: Vec<KindRow>,
    /// The bases a library may turn on or off.
    pub bases: Vec<BasisRow>,
}

/// The form as the admin sent it; values are as typed, checked here.
#[derive(Debug, Clone, Default)]
pub struct PolicyForm {
    /// The version the form was opened on.
    pub base_version: String,
    /// The library's own words.
    pub text: String,
    /// `first_name_only` or `first_name_last_initial`.
    pub children_naming: String,
    /// (key, description) rows; rows left blank are ignored.
    pub uses: Vec<(String, String)>,
    /// (kind, days, then) rows.
    pub retention: Vec<(String, String, String)>,
    /// The `[disclosure]` bases ticked.
    pub bases_on: Vec<String>,
    /// What changed.
    pub summary: String,
}

/// The bases the form offers, in its order.
pub const BASES: [&str; 3] = ["emergency", "accept_subpoena", "guardian_access"];

fn admin_only(who: &StaffMember) -> CustodyResult<()> {
    if who.role != LibraryRole::Admin {
        return Err(CustodyError::Forbidden(
            "only the library's admin publishes its privacy policy",
        ));
    }
    Ok(())
}

fn draft_of(version: i64, doc: &PolicyDocument) -> FormDraft {
    let profile = doc.jurisdiction().profile();
    let basis = |key: &'static str, on: bool, permitted: Option<policy::clause::Clause>| BasisRow {
        key,
        on,
        permitted_by: permitted.map(|c| c.text()),
    };
    FormDraft {
        current_version: version,
        statutes: profile.statutes,
        text: doc.text().to_owned(),
        children_naming: doc.children_naming(),
        uses: doc.uses().iter().map(UseView::from).collect(),
        retention: RecordKind::ALL
            .into_iter()
            .map(|k| {
                let rule = doc.schedule().rule(k);
                let limit = profile.retention_limit(k);
                KindRow {
                    kind: k.as_str(),
                    label: crate::retention::kind_label(k),
                    days: rule.keep_days,
                    then: rule.then,
                    max_days: limit.keep_days,
                    must_delete: limit.then == PurgeMethod::Delete,
                }
            })
            .collect(),
        bases: vec![
            basis("emergency", doc.emergency(), profile.emergency),
            basis("accept_subpoena", doc.accept_subpoena(), profile.subpoena),
            basis("guardian_access", doc.guardian_access(), profile.guardian),
        ],
    }
}

// The version in force: its number, its TOML and its document.
fn in_force(custody: &Custody, who: &StaffMember) -> CustodyResult<(i64, String, PolicyDocument)> {
    let draft = pp::draft(custody, who)?;
    let doc = PolicyDocument::from_toml(&draft.document_toml).map_err(|e| {
        CustodyError::Internal(format!("the policy in force does not validate: {e}"))
    })?;
    Ok((draft.current_version, draft.document_toml, doc))
}

/// The form's starting point: the version in force, or the jurisdiction's document.
pub fn form_draft(custody: &Custody, who: &StaffMember) -> CustodyResult<FormDraft> {
    admin_only(who)?;
    let (version, _, doc) = in_force(custody, who)?;
    Ok(draft_of(version, &doc))
}

fn refused(key: impl Into<String>, rule: impl Into<String>) -> Refusal {
    Refusal {
        key: key.into(),
        rule: rule.into(),
        clause: None,
    }
}

/// The document the form describes, over `base` (the version in force as
/// TOML): the TOML and the keys of the uses it adds. `uses[i]` in a refusal
/// counts the rows as sent, blank ones included.
pub fn compose(
    base: &str,
    previous: &PolicyDocument,
    form: &PolicyForm,
) -> Result<(String, Vec<String>, Vec<usize>), Refusal> {
    use toml::Value;
    let mut doc: toml::Table = base.parse().map_err(|e| {
        refused(
            "document",
            format!("the policy in force cannot be read: {e}"),
        )
    })?;
    let text = form.text.replace("\r\n", "\n");
    let text = text.trim();
    if text.is_empty() {
        doc.remove("text");
    } else {
        doc.insert("text".into(), Value::String(text.to_owned()));
    }
    let naming = match form.children_naming.as_str() {
        "first_name_only" => ChildNaming::FirstNameOnly,
        "first_name_last_initial" => ChildNaming::FirstNameLastInitial,
        _ => {
            return Err(refused(
                "children_naming",
                "choose how children are named in public",
            ))
        }
    };
    doc.insert(
        "children_naming".into(),
        Value::String(naming.as_str().to_owned()),
    );

    let mut rows = Vec::new();
    let mut uses = Vec::new();
    for (i, (key, description)) in form.uses.iter().enumerate() {
        let (key, description) = (key.trim(), description.trim());
        if key.is_empty() && description.is_empty() {
            continue;
        }
        let mut t = toml::Table::new();
        t.insert("key".into(), Value::String(key.to_owned()));
        t.insert("description".into(), Value::String(description.to_owned()));
        uses.push(Value::Table(t));
        rows.push(i);
    }
    let new_uses: Vec<String> = form
        .uses
        .iter()
        .map(|(k, _)| k.trim().to_owned())
        .filter(|k| !k.is_empty() && previous.optional_use(k).is_none())
        .collect();
    doc.insert("uses".into(), Value::Array(uses));

    let retention = doc
        .entry("retention")
        .or_insert_with(|| Value::Table(toml::Table::new()));
    let Value::Table(retention) = retention else {
        return Err(refused(
            "retention",
            "the policy in force has no retention table",
        ));
    };
    for (kind, days, then) in &form.retention {
        let Ok(k) = kind.parse::<RecordKind>() else {
            return Err(refused(
                "retention",
                format!("{kind} is not a kind of record"),
            ));
        };
        let label = crate::retention::kind_label(k);
        let days: i64 = days
            .trim()
            .parse()
            .ok()
            .filter(|d| (0..=u32::MAX as i64).contains(d))
            .ok_or_else(|| {
                refused(
                    format!("retention.{}.keep_days", k.as_str()),
                    format!("{label}: enter a whole number of days, 0 or more"),
                )
            })?;
        let then = match then.as_str() {
            "anonymize" | "delete" => then.clone(),
            _ => {
                return Err(refused(
                    format!("retention.{}.then", k.as_str()),
                    format!("{label}: choose anonymize or delete"),
                ))
            }
        };
        let mut t = toml::Table::new();
        t.insert("keep_days".into(), Value::Integer(days));
        t.insert("then".into(), Value::String(then));
        retention.insert(k.as_str().to_owned(), Value::Table(t));
    }

    let disclosure = doc
        .entry("disclosure")
        .or_insert_with(|| Value::Table(toml::Table::new()));
    let Value::Table(disclosure) = disclosure else {
        return Err(refused(
            "disclosure",
            "the policy in force has no disclosure table",
        ));
    };
    for key in BASES {
        let on = form.bases_on.iter().any(|b| b == key);
        disclosure.insert(key.to_owned(), Value::Boolean(on));
    }
    let toml = toml::to_string(&doc).map_err(|e| {
        refused(
            "document",
            format!("the form cannot be written as TOML: {e}"),
        )
    })?;
    Ok((toml, new_uses, rows))
}

/// Publishes the form (the library's admin): composed over the version in
/// force, refused like the JSON API's version (the key, the rule and the
/// clause), and refused when another version was published since the form
/// was opened.
pub fn publish_form(
    custody: &Custody,
    who: &StaffMember,
    form: &PolicyForm,
) -> Result<Published, PublishError> {
    admin_only(who)?;
    let (version, base, previous) = in_force(custody, who)?;
    if form.base_version.trim() != version.to_string() {
        return Err(PublishError::Refused(refused(
            "base_version",
            format!("version {version} was published after this form was opened; open the form again to start from it"),
        )));
    }
    let (toml, new_uses, rows) = compose(&base, &previous, form).map_err(PublishError::Refused)?;
    let input = NewPolicyVersion {
        document: None,
        document_toml: Some(toml),
        summary: form.summary.clone(),
        new_uses,
    };
    pp::publish(custody, who, &input).map_err(|e| match e {
        // The document counts uses without the blank rows; the form with them.
        PublishError::Refused(mut r) => {
            if let Some(rest) = r.key.strip_prefix("uses[") {
                if let Some((n, tail)) = rest.split_once(']') {
                    if let Some(row) = n.parse::<usize>().ok().and_then(|n| rows.get(n)) {
                        r.key = format!("uses[{row}]{tail}");
                    }
                }
            }
            PublishError::Refused(r)
        }
        other => other,
    })
}

/// The form's `then` value for a method.
pub fn then_value(m: PurgeMethod) -> &'static str {
    match m {
        PurgeMethod::Anonymize => "anonymize",
        PurgeMethod::Delete => "delete",
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use policy::jurisdiction::Jurisdiction;

    fn form() -> PolicyForm {
        PolicyForm {
            base_version: "0".into(),
            text: "  We keep little.\r\n\r\nAsk us.  ".into(),
            children_naming: "first_name_only".into(),
            uses: vec![
                ("newsletter".into(), "A monthly newsletter.".into()),
                (String::new(), String::new()),
            ],
            retention: vec![(
                "holds_and_interlibrary_loans".into(),
                "7".into(),
                "delete".into(),
            )],
            bases_on: vec![],
            summary: "x".into(),
        }
    }

    #[test]
    fn the_form_is_composed_over_the_version_in_force() {
        let base = policy::document::shipped_toml(Jurisdiction::Kansas);
        let previous = PolicyDocument::shipped(Jurisdiction::Kansas).unwrap();
        let (toml, new_uses, rows) = compose(base, &previous, &form()).unwrap();
        let doc = PolicyDocument::from_toml(&toml).unwrap();
        assert_eq!(doc.text(), "We keep little.\n\nAsk us.");
        assert_eq!(doc.children_naming(), ChildNaming::FirstNameOnly);
        assert_eq!(new_uses, ["newsletter"]);
        assert_eq!(rows, [0]);
        assert_eq!(
            doc.schedule()
                .rule(RecordKind::HoldsAndInterlibraryLoans)
                .keep_days,
            7
        );
        // What the form does not show is carried: vendors keep the card number.
        assert_eq!(doc.vendor_fields(), previous.vendor_fields());
        // Unticked, the emergency basis Kansas's document had is off.
        assert!(previous.emergency() && !doc.emergency());
    }

    #[test]
    fn a_bad_number_or_naming_is_refused_by_its_key() {
        let base = policy::document::shipped_toml(Jurisdiction::Missouri);
        let previous = PolicyDocument::shipped(Jurisdiction::Missouri).unwrap();
        let mut f = form();
        f.retention[0].1 = "a week".into();
        let r = compose(base, &previous, &f).unwrap_err();
        assert_eq!(r.key, "retention.holds_and_interlibrary_loans.keep_days");
        let mut f = form();
        f.children_naming = "nickname".into();
        assert_eq!(
            compose(base, &previous, &f).unwrap_err().key,
            "children_naming"
        );
    }
}
