//! Reading an inbound message: a real MIME parser (multipart, quoted-printable,
//! base64, encoded words, HTML-only mail, forwarded messages, attachments),
//! then what custodian needs of it, and whether a machine sent it.

use crate::sender;
use mail_parser::{Message, MessageParser, MimeHeaders};
use serde::Serialize;
use sha2::{Digest, Sha256};

/// An inbound message, as custodian uses it.
#[derive(Debug, Clone)]
pub struct Inbound {
    /// SHA-256 of the Message-ID, or of the whole message when it has none.
    pub fingerprint: [u8; 32],
    /// The Message-ID, without angle brackets.
    pub message_id: Option<String>,
    /// The sender's address (From, or Sender when From names several),
    /// as written but with the domain in lower case.
    pub from: Option<String>,
    /// Where the sender asks replies to go (Reply-To), when that is another address.
    pub reply_to: Option<String>,
    /// The decoded subject, as written (it may hold any character, even CR and LF).
    pub subject: String,
    /// The text of the message (HTML turned into text), then of any forwarded message.
    pub text: String,
    /// What was attached.
    pub attachments: Vec<Attachment>,
    /// Set when a machine sent it: an auto-reply or a bounce.
    pub automatic: Option<Automatic>,
    /// Its size in bytes.
    pub size: usize,
}

/// An attachment's description (its content stays in the sealed raw message).
#[derive(Debug, Clone, Serialize, PartialEq, Eq)]
pub struct Attachment {
    /// Its file name, if it has one.
    pub name: Option<String>,
    /// Its MIME type.
    pub content_type: String,
    /// Its decoded size in bytes.
    pub size: usize,
}

/// Mail a machine sent, which is never a request.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Automatic {
    /// An out-of-office or other automatic reply, and why it was taken for one.
    AutoReply(String),
    /// A delivery failure report, and why it was taken for one.
    Bounce(String),
}

/// Why a message could not be read at all.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum ParseError {
    /// Empty input, or no header the parser recognises.
    #[error("the input is not an email message (no headers were found)")]
    NotAMessage,
    /// The input does not begin with an RFC 5322 header block.
    #[error("the input is not an email message: {0}")]
    NoHeaderBlock(&'static str),
}

/// Checks that `raw` begins with an RFC 5322 header block (every line up to
/// the first blank one a `Name: value` field or its continuation) holding a
/// From field and at least one of Date, Message-ID or Subject. Plain text,
/// random bytes or a stray paste are refused here, so they never become a
/// request in anyone's queue.
fn header_block(raw: &[u8]) -> Result<(), ParseError> {
    if raw.iter().all(|b| b.is_ascii_whitespace() || *b == 0) {
        return Err(ParseError::NotAMessage);
    }
    let mut lines = raw.split(|b| *b == b'\n').peekable();
    // An mbox envelope line, as a .forward pipe may hand over, is not a field.
    if lines.peek().is_some_and(|l| l.starts_with(b"From ")) {
        lines.next();
    }
    let (mut from, mut other, mut fields) = (false, false, 0usize);
    for line in lines {
        // A NUL anywhere in a field (even its name) does not make it less of
        // a message: it is taken in, with the NULs dropped from what is kept.
        let line: Vec<u8> = line.iter().copied().filter(|b| *b != 0).collect();
        let line = line.strip_suffix(b"\r").unwrap_or(&line);
        if line.is_empty() {
            break;
        }
        if matches!(line[0], b' ' | b'\t') {
            if fields == 0 {
                return Err(ParseError::NoHeaderBlock(
                    "it begins with an indented line, not a header field",
                ));
            }
            continue;
        }
        let Some(colon) = line.iter().position(|b| *b == b':') else {
            return Err(ParseError::NoHeaderBlock(
                "a line before the first blank line is not a header field (Name: value)",
            ));
        };
        let name = &line[..colon];
        // RFC 5322 field names are printable US-ASCII without the colon;
        // trailing blanks before the colon are obsolete syntax mailers still send.
        let name = name.trim_ascii_end();
        if name.is_empty() || !name.iter().all(|b| (33..=126).contains(b)) {
            return Err(ParseError::NoHeaderBlock(
                "a line before the first blank line is not a header field (Name: value)",
            ));
        }
        fields += 1;
        if name.eq_ignore_ascii_case(b"from") {
            from = true;
        } else if [&b"date"[..], b"message-id", b"subject"]
            .iter()
            .any(|n| name.eq_ignore_ascii_case(n))
        {
            other = true;
        }
    }
    if !from {
        return Err(ParseError::NoHeaderBlock("it has no From header field"));
    }
    if !other {
        return Err(ParseError::NoHeaderBlock(
            "it has a From field but no Date, Message-ID or Subject",
        ));
    }
    Ok(())
}

/// Removes NUL characters: PostgreSQL refuses them in text, and they carry
/// nothing a reader needs. The raw message keeps them (it is stored as base64).
fn no_nul(s: &str) -> String {
    if s.contains('\0') {
        s.replace('\0', "")
    } else {
        s.to_owned()
    }
}

/// The MIME structure of `body`, or `None` when mail-parser cannot read it.
///
/// mail-parser 0.11.9 has a `debug_assert!` that some malformed nested
/// multiparts trip ("Invalid part ID, could not find multipart", found by the
/// inbound_mail fuzz target): in a debug build, the demo server and the tests,
/// that is a panic in the middle of an ingest. Such a message is one we
/// cannot read, like any other; the panic message holds nothing of the mail.
fn mime(body: &[u8]) -> Option<Message<'_>> {
    std::panic::catch_unwind(|| MessageParser::default().parse(body))
        .ok()
        .flatten()
}

/// Parses one RFC 5322 message.
pub fn parse(raw: &[u8]) -> Result<Inbound, ParseError> {
    header_block(raw)?;
    // An mbox envelope line is not part of the message itself.
    let body = if raw.starts_with(b"From ") {
        raw.iter()
            .position(|b| *b == b'\n')
            .map_or(raw, |nl| &raw[nl + 1..])
    } else {
        raw
    };
    let message = mime(body).ok_or(ParseError::NotAMessage)?;
    if message.headers().is_empty() {
        return Err(ParseError::NotAMessage);
    }
    let message_id = message
        .message_id()
        .map(|m| m.trim().trim_matches(['<', '>']).to_owned())
        .filter(|m| !m.is_empty());
    let fingerprint: [u8; 32] = match &message_id {
        Some(id) => Sha256::new()
            .chain_update(b"message-id\0")
            .chain_update(id.as_bytes())
            .finalize()
            .into(),
        None => Sha256::new()
            .chain_update(b"raw\0")
            .chain_update(raw)
            .finalize()
            .into(),
    };
    let (from, reply_to) = senders(&message);
    let subject = message.subject().unwrap_or_default().to_owned();
    let mut text = body_text(&message);
    let mut attachments = Vec::new();
    for part in message.attachments() {
        if let Some(inner) = part.message() {
            // A forwarded message: its words count as much as the cover note's.
            text.push_str("\n\n---------- forwarded message ----------\n");
            if let Some(s) = inner.subject() {
                text.push_str("Subject: ");
                text.push_str(s);
                text.push('\n');
            }
            text.push_str(&body_text(inner));
            attachments.push(Attachment {
                name: Some(inner.subject().unwrap_or("forwarded message").to_owned()),
                content_type: "message/rfc822".into(),
                size: part.len(),
            });
        } else {
            let content_type = part.content_type().map_or_else(
                || "application/octet-stream".to_owned(),
                |ct| match ct.subtype() {
                    Some(sub) => format!("{}/{}", ct.ctype(), sub),
                    None => ct.ctype().to_owned(),
                },
            );
            attachments.push(Attachment {
                name: part.attachment_name().map(str::to_owned),
                content_type: content_type.to_lowercase(),
                size: part.len(),
            });
        }
    }
    let automatic = automatic(&message, from.as_deref(), &subject);
    Ok(Inbound {
        fingerprint,
        message_id: message_id.as_deref().map(no_nul).filter(|m| !m.is_empty()),
        from,
        reply_to,
        subject: no_nul(&subject),
        text: no_nul(&text),
        attachments: attachments
            .into_iter()
            .map(|a| Attachment {
                name: a.name.as_deref().map(no_nul),
                content_type: no_nul(&a.content_type),
                size: a.size,
            })
            .collect(),
        automatic: automatic.map(|a| match a {
            Automatic::AutoReply(r) => Automatic::AutoReply(no_nul(&r)),
            Automatic::Bounce(r) => Automatic::Bounce(no_nul(&r)),
        }),
        size: raw.len(),
    })
}

/// The sender's address and the Reply-To address, read from the raw fields
/// (mail-parser's reading is only the fallback: it gives up on broken fields
/// that real clients send). When From names several mailboxes, RFC 5322 says
/// Sender is the one who sent it.
fn senders(message: &Message<'_>) -> (Option<String>, Option<String>) {
    let raw = |name: &str| -> Vec<String> {
        message
            .headers_raw()
            .filter(|(n, _)| n.eq_ignore_ascii_case(name))
            .flat_map(|(_, v)| sender::addresses(&no_nul(v)))
            .collect()
    };
    let from_all = raw("From");
    let sender_first = raw("Sender").into_iter().next();
    let from = if from_all.len() > 1 {
        sender_first.or_else(|| from_all.first().cloned())
    } else {
        from_all.first().cloned().or(sender_first)
    }
    .or_else(|| {
        message
            .from()
            .and_then(|a| a.first())
            .and_then(|a| a.address())
            .and_then(|a| sender::address(&no_nul(a)))
    });
    let reply_to = raw("Reply-To")
        .into_iter()
        .next()
        .filter(|r| from.as_ref().is_none_or(|f| !f.eq_ignore_ascii_case(r)));
    (from, reply_to)
}

/// Every text body of a message (HTML-only mail comes back as its text).
fn body_text(message: &Message<'_>) -> String {
    let count = message.text_body_count().max(1);
    let mut out = String::new();
    for i in 0..count {
        if let Some(t) = message.body_text(i) {
            if !out.is_empty() {
                out.push('\n');
            }
            out.push_str(&t);
        }
    }
    out
}

/// A header's value as text, found by name whatever its case.
fn header_text(message: &Message<'_>, name: &str) -> Option<String> {
    message
        .headers()
        .iter()
        .find(|h| h.name().eq_ignore_ascii_case(name))
        .map(|h| match h.value() {
            mail_parser::HeaderValue::Text(t) => t.to_string(),
            mail_parser::HeaderValue::TextList(l) => l.join(", "),
            mail_parser::HeaderValue::Address(a) => a
                .first()
                .and_then(|a| a.address())
                .map_or_else(String::new, |a| format!("<{a}>")),
            mail_parser::HeaderValue::ContentType(ct) => ct.ctype().to_owned(),
            _ => String::new(),
        })
}

const AUTO_SUBJECTS: [&str; 12] = [
    "automatic reply",
    "auto reply",
    "auto-reply",
    "autoreply",
    "auto:",
    "out of office",
    "out-of-office",
    "abwesenheitsnotiz",
    "respuesta automática",
    "réponse automatique",
    "vacation reply",
    "away from the office",
];

const BOUNCE_SUBJECTS: [&str; 6] = [
    "undeliverable",
    "undelivered mail",
    "delivery status notification",
    "mail delivery failed",
    "delivery failure",
    "returned mail",
];

/// Whether a machine sent this (RFC 3834 auto-replies, RFC 3464 bounces, and
/// the headers and subjects common mailers use instead).
fn automatic(message: &Message<'_>, from: Option<&str>, subject: &str) -> Option<Automatic> {
    let subject = subject.trim().to_lowercase();
    if let Some(ct) = message.content_type() {
        let report_type = ct.attribute("report-type").unwrap_or_default();
        if ct.ctype().eq_ignore_ascii_case("multipart")
            && ct
                .subtype()
                .is_some_and(|s| s.eq_ignore_ascii_case("report"))
            && report_type.eq_ignore_ascii_case("delivery-status")
        {
            return Some(Automatic::Bounce(
                "a delivery status report (multipart/report; report-type=delivery-status)".into(),
            ));
        }
    }
    let local = from
        .and_then(|f| f.split('@').next())
        .unwrap_or_default()
        .to_lowercase();
    if local == "mailer-daemon" || local == "postmaster" {
        return Some(Automatic::Bounce(format!("sent by {local}")));
    }
    let null_return_path =
        header_text(message, "Return-Path").is_some_and(|v| matches!(v.trim(), "" | "<>"));
    if null_return_path && BOUNCE_SUBJECTS.iter().any(|s| subject.contains(s)) {
        return Some(Automatic::Bounce(
            "an empty Return-Path and a delivery-failure subject".into(),
        ));
    }
    if let Some(v) = header_text(message, "Auto-Submitted") {
        let v = v
            .split(';')
            .next()
            .unwrap_or_default()
            .trim()
            .to_lowercase();
        if !v.is_empty() && v != "no" {
            return Some(Automatic::AutoReply(format!("Auto-Submitted: {v}")));
        }
    }
    for name in ["X-Autoreply", "X-Autorespond", "X-Autoresponder"] {
        if header_text(message, name).is_some() {
            return Some(Automatic::AutoReply(format!("a {name} header")));
        }
    }
    if let Some(p) = header_text(message, "Precedence") {
        let p = p.trim().to_lowercase();
        if matches!(p.as_str(), "auto_reply" | "auto-reply" | "bulk" | "junk") {
            return Some(Automatic::AutoReply(format!("Precedence: {p}")));
        }
    }
    if AUTO_SUBJECTS.iter().any(|s| subject.starts_with(s)) {
        return Some(Automatic::AutoReply(
            "an automatic-reply subject line".into(),
        ));
    }
    if null_return_path {
        return Some(Automatic::AutoReply("an empty Return-Path".into()));
    }
    None
}

/// The headers a person reads a message by that [`parse`] does not keep:
/// whom it was addressed to, and the date its sender's program wrote on it.
#[derive(Debug, Clone, Default)]
pub struct Envelope {
    /// The addresses in To.
    pub to: Vec<String>,
    /// The Date header, in UTC; none when missing or unreadable.
    pub date: Option<chrono::NaiveDateTime>,
}

/// Reads the [`Envelope`] of a raw message; an unreadable one has an empty envelope.
pub fn envelope(raw: &[u8]) -> Envelope {
    let body = if raw.starts_with(b"From ") {
        raw.iter()
            .position(|b| *b == b'\n')
            .map_or(raw, |nl| &raw[nl + 1..])
    } else {
        raw
    };
    let Some(message) = mime(body) else {
        return Envelope::default();
    };
    let to = message
        .headers_raw()
        .filter(|(n, _)| n.eq_ignore_ascii_case("To"))
        .flat_map(|(_, v)| sender::addresses(&no_nul(v)))
        .collect();
    let date = message
        .date()
        .and_then(|d| chrono::DateTime::from_timestamp(d.to_timestamp(), 0))
        .map(|d| d.naive_utc());
    Envelope { to, date }
}

#[cfg(test)]
mod fuzz_regressions {
    use super::*;

    /// Found by the inbound_mail fuzz target: trips mail-parser's debug
    /// assertion on nested multiparts; it must be read as no message, not panic.
    #[test]
    fn a_nested_multipart_that_trips_mail_parser_is_read_without_a_panic() {
        let raw = include_bytes!(
            "../../../tests/fuzz/corpus/inbound_mail/regress-mailparser-nested-multipart"
        );
        let _ = envelope(raw);
        match parse(raw) {
            Ok(m) => assert_eq!(m.size, raw.len()),
            Err(e) => assert!(matches!(e, ParseError::NotAMessage), "{e:?}"),
        }
    }
}
