//! The documents served with a legal request (the order, the warrant, a
//! signed consent), encrypted at rest.
//!
//! Any staff member attaches what arrived at the desk and sees the list; only
//! the custodian of records opens one, and every opening is in the library's
//! audit chain (`legal.document`), since an order can name patrons and say
//! what they are suspected of.

use crate::actor::{StaffMember, Subject};
use crate::error::{CustodyError, CustodyResult};
use crate::gate::{Entry, Ruling};
use crate::legal::{only_custodian, step};
use crate::Custody;
use chrono::{NaiveDateTime, Utc};
use policy::clause::Clause;
use serde::Serialize;
use store::legal::{self as sql, DocumentMeta, NewDocument};

/// The largest document custodian keeps: 10 MiB.
pub const MAX_DOCUMENT_BYTES: usize = 10 * 1024 * 1024;

/// The media types a document may have.
pub const CONTENT_TYPES: [&str; 4] = ["application/pdf", "image/png", "image/jpeg", "text/plain"];

/// The longest file name kept, in characters.
pub const MAX_NAME_CHARS: usize = 200;

/// A document as listed: never its content.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct DocumentView {
    /// Its id.
    pub id: i64,
    /// The request it belongs to.
    pub legal_request_id: i64,
    /// Its file name.
    pub name: String,
    /// Its media type.
    pub content_type: String,
    /// Its length in bytes.
    pub size_bytes: i64,
    /// When it was attached.
    #[serde(with = "store::time::rfc3339")]
    pub uploaded_at: NaiveDateTime,
    /// The staff account that attached it.
    pub uploaded_by: i64,
}

impl From<DocumentMeta> for DocumentView {
    fn from(d: DocumentMeta) -> Self {
        DocumentView {
            id: d.id,
            legal_request_id: d.legal_request_id,
            name: d.name,
            content_type: d.content_type,
            size_bytes: d.size_bytes,
            uploaded_at: d.uploaded_at,
            uploaded_by: d.uploaded_by,
        }
    }
}

/// A document to attach, as it arrived.
#[derive(Debug, Clone, Copy)]
pub struct Upload<'a> {
    /// The file name the sender gave (`?name=` or the form's file name).
    pub name: &'a str,
    /// Its media type (the `Content-Type` sent), parameters allowed.
    pub content_type: &'a str,
    /// Its bytes.
    pub content: &'a [u8],
}

/// The media type without parameters, if it is one custodian keeps.
pub fn accepted_type(content_type: &str) -> Option<&'static str> {
    let bare = content_type
        .split(';')
        .next()
        .unwrap_or_default()
        .trim()
        .to_ascii_lowercase();
    CONTENT_TYPES.into_iter().find(|t| *t == bare)
}

/// The file name as kept: its last path part, trimmed, at most
/// [`MAX_NAME_CHARS`]; a browser may send `C:\scans\order.pdf`.
fn clean_name(name: &str) -> CustodyResult<String> {
    let last = name.rsplit(['/', '\\']).next().unwrap_or_default().trim();
    if last.is_empty() || last.chars().any(char::is_control) {
        return Err(CustodyError::Invalid {
            field: "name",
            detail: "name the document's file, such as ?name=order.pdf".into(),
        });
    }
    if last.chars().count() > MAX_NAME_CHARS {
        return Err(CustodyError::Invalid {
            field: "name",
            detail: format!("a file name has at most {MAX_NAME_CHARS} characters"),
        });
    }
    Ok(last.to_owned())
}

/// Checks an upload, naming the field that is wrong.
fn check(up: &Upload<'_>) -> CustodyResult<(String, &'static str)> {
    let name = clean_name(up.name)?;
    let Some(kind) = accepted_type(up.content_type) else {
        return Err(CustodyError::Invalid {
            field: "content_type",
            detail: format!("a document is sent as one of {}", CONTENT_TYPES.join(", ")),
        });
    };
    if up.content.is_empty() {
        return Err(CustodyError::Invalid {
            field: "file",
            detail: "the document is empty; send the file's bytes".into(),
        });
    }
    if up.content.len() > MAX_DOCUMENT_BYTES {
        return Err(CustodyError::Invalid {
            field: "file",
            detail: format!("a document has at most {MAX_DOCUMENT_BYTES} bytes (10 MiB)"),
        });
    }
    Ok((name, kind))
}

/// Attaches a document to one of the library's requests, encrypted; any staff member may.
pub fn attach(
    custody: &Custody,
    who: &StaffMember,
    request: i64,
    up: Upload<'_>,
) -> CustodyResult<DocumentView> {
    let (name, content_type) = check(&up)?;
    let actor = who.actor();
    custody.store().write(who.library.id, |tx| {
        sql::get(tx, custody.keys(), request)?;
        let meta = sql::insert_document(
            tx,
            custody.keys(),
            &NewDocument {
                legal_request_id: request,
                name: &name,
                content_type,
                content: up.content,
                uploaded_by: who.account.0,
            },
            Utc::now().naive_utc(),
        )?;
        let purpose = format!("document {} attached", meta.id);
        step(
            tx,
            &Entry {
                actor: &actor,
                action: "legal.document_attached",
                subject: &Subject::LegalRequest(request),
                purpose: &purpose,
                ruling: Ruling {
                    allowed: true,
                    clause: Clause::CustodianDecides.code(),
                },
            },
            false,
        )?;
        Ok(meta.into())
    })
}

/// The documents of one of the library's requests, without their content.
pub fn list(
    custody: &Custody,
    who: &StaffMember,
    request: i64,
) -> CustodyResult<Vec<DocumentView>> {
    custody.store().read(who.library.id, |tx| {
        sql::get(tx, custody.keys(), request)?;
        Ok(sql::documents(tx, custody.keys(), request)?
            .into_iter()
            .map(Into::into)
            .collect())
    })
}

/// One document, decrypted, for the custodian of records only; the opening
/// is in the chain in the same transaction as the read.
pub fn open(
    custody: &Custody,
    who: &StaffMember,
    request: i64,
    document: i64,
) -> CustodyResult<(DocumentView, Vec<u8>)> {
    only_custodian(who)?;
    let actor = who.actor();
    custody.store().write(who.library.id, |tx| {
        let (meta, bytes) = sql::document(tx, custody.keys(), request, document)?;
        let purpose = format!("document {document} read");
        step(
            tx,
            &Entry {
                actor: &actor,
                action: "legal.document",
                subject: &Subject::LegalRequest(request),
                purpose: &purpose,
                ruling: Ruling {
                    allowed: true,
                    clause: Clause::CustodianDecides.code(),
                },
            },
            false,
        )?;
        Ok((meta.into(), bytes))
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_the_four_types_are_kept_and_parameters_are_dropped() {
        assert_eq!(accepted_type("application/PDF"), Some("application/pdf"));
        assert_eq!(
            accepted_type("text/plain; charset=utf-8"),
            Some("text/plain")
        );
        assert_eq!(accepted_type("application/zip"), None);
    }

    #[test]
    fn a_name_keeps_its_last_part_and_an_empty_one_is_refused() {
        assert_eq!(clean_name("C:\\scans\\order.pdf").unwrap(), "order.pdf");
        assert_eq!(clean_name("../../etc/passwd").unwrap(), "passwd");
        assert!(matches!(
            clean_name("dir/"),
            Err(CustodyError::Invalid { field: "name", .. })
        ));
    }
}
