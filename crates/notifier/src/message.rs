//! Composing outgoing mail with lettre: text and HTML parts, a Message-ID of
//! our own (a resend carries the same one), and header values that can never
//! smuggle in a header of their own.

use lettre::message::header::{HeaderName, HeaderValue};
use lettre::message::{Mailbox, MultiPart};
use lettre::Message;
use rand::RngCore;

/// Why a message could not be composed.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum ComposeError {
    /// The recipient is not an address mail can be sent to.
    #[error("the recipient address cannot receive mail (it is not a valid address)")]
    BadRecipient,
    /// The message could not be built (a bug, not bad input).
    #[error("the message could not be built: {0}")]
    Build(String),
}

/// A composed message, ready for the outbox.
#[derive(Debug, Clone)]
pub struct Composed {
    /// The Message-ID, with its angle brackets.
    pub message_id: String,
    /// The envelope sender.
    pub envelope_from: String,
    /// The envelope recipients.
    pub envelope_to: Vec<String>,
    /// The whole message.
    pub bytes: String,
}

/// What to send, before it is composed.
#[derive(Debug, Clone)]
pub struct Draft {
    /// Recipient address.
    pub to: String,
    /// Subject; any CR, LF or other control character becomes a space.
    pub subject: String,
    /// Plain-text part.
    pub text: String,
    /// HTML part.
    pub html: String,
    /// The Message-ID (without brackets) this answers, for threading.
    pub in_reply_to: Option<String>,
    /// RFC 3834: `auto-generated` or `auto-replied`, so auto-responders stay quiet.
    pub auto_submitted: &'static str,
}

/// A header value with every control character (CR and LF above all) turned
/// into a space, runs of space collapsed, and a sane length: what is left is
/// one line, whatever the input.
pub fn header_safe(value: &str, max_chars: usize) -> String {
    let cleaned: String = value
        .chars()
        .map(|c| if c.is_control() { ' ' } else { c })
        .collect();
    let mut out = cleaned.split_whitespace().collect::<Vec<_>>().join(" ");
    if out.chars().count() > max_chars {
        out = out.chars().take(max_chars).collect::<String>() + "…";
    }
    out
}

/// A Message-ID taken from inbound mail is used only if it looks like one.
fn plausible_message_id(id: &str) -> bool {
    !id.is_empty()
        && id.len() <= 250
        && id.contains('@')
        && id
            .chars()
            .all(|c| c.is_ascii_graphic() && c != '<' && c != '>')
}

/// 128 random bits in hex, for Message-IDs.
pub(crate) fn random_token() -> String {
    let mut random = [0u8; 16];
    rand::rngs::OsRng.fill_bytes(&mut random);
    random.iter().map(|b| format!("{b:02x}")).collect()
}

/// Composes `draft` from `from`.
pub fn compose(from: &Mailbox, draft: &Draft) -> Result<Composed, ComposeError> {
    let message_id = format!("<{}@{}>", random_token(), from.email.domain());
    compose_with_id(from, draft, message_id)
}

/// Composes `draft` from `from` with a Message-ID chosen beforehand (with
/// its angle brackets): a message on a shared body, composed when it is
/// delivered, keeps the id it was queued with on every attempt.
pub fn compose_with_id(
    from: &Mailbox,
    draft: &Draft,
    message_id: String,
) -> Result<Composed, ComposeError> {
    let to: Mailbox = draft
        .to
        .trim()
        .parse::<lettre::Address>()
        .map(|a| Mailbox::new(None, a))
        .map_err(|_| ComposeError::BadRecipient)?;
    let mut builder = Message::builder()
        .from(from.clone())
        .to(to)
        .subject(header_safe(&draft.subject, 200))
        .message_id(Some(message_id.clone()))
        .date_now()
        .raw_header(HeaderValue::new(
            HeaderName::new_from_ascii_str("Auto-Submitted"),
            draft.auto_submitted.to_owned(),
        ));
    if let Some(id) = draft
        .in_reply_to
        .as_deref()
        .filter(|i| plausible_message_id(i))
    {
        builder = builder
            .in_reply_to(format!("<{id}>"))
            .references(format!("<{id}>"));
    }
    let message = builder
        .multipart(MultiPart::alternative_plain_html(
            draft.text.clone(),
            draft.html.clone(),
        ))
        .map_err(|e| ComposeError::Build(e.to_string()))?;
    let envelope = message.envelope();
    let envelope_from = envelope.from().map(ToString::to_string).unwrap_or_default();
    let envelope_to = envelope.to().iter().map(ToString::to_string).collect();
    let bytes =
        String::from_utf8(message.formatted()).map_err(|e| ComposeError::Build(e.to_string()))?;
    Ok(Composed {
        message_id,
        envelope_from,
        envelope_to,
        bytes,
    })
}

/// A letter sealed once as the shared body of many messages (the outbox's
/// `create_body`): everything but the recipient and the Message-ID, which
/// each message gets when it is delivered.
#[derive(Debug, Clone, serde::Serialize, serde::Deserialize)]
pub struct SharedLetter {
    /// The sender, as a mailbox (`Name <address>`).
    pub from: String,
    /// Subject.
    pub subject: String,
    /// Plain-text part.
    pub text: String,
    /// HTML part.
    pub html: String,
    /// RFC 3834's Auto-Submitted value.
    pub auto_submitted: String,
}

impl SharedLetter {
    /// The message to `to` with `message_id`, composed as [`compose`] would.
    pub fn compose_to(&self, to: &str, message_id: &str) -> Result<Composed, ComposeError> {
        let from: Mailbox = self
            .from
            .parse()
            .map_err(|_| ComposeError::Build("the shared letter's sender".into()))?;
        // Only RFC 3834's own values; anything else in a body is a bug.
        let auto_submitted = match self.auto_submitted.as_str() {
            "auto-replied" => "auto-replied",
            _ => "auto-generated",
        };
        compose_with_id(
            &from,
            &Draft {
                to: to.to_owned(),
                subject: self.subject.clone(),
                text: self.text.clone(),
                html: self.html.clone(),
                in_reply_to: None,
                auto_submitted,
            },
            message_id.to_owned(),
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_shared_letter_composes_to_each_recipient_with_the_given_id() {
        let letter = SharedLetter {
            from: "Consortium <director@evergreen.example.org>".into(),
            subject: "Changed\r\nBcc: x@y".into(),
            text: "Hello".into(),
            html: "<p>Hello</p>".into(),
            auto_submitted: "auto-generated".into(),
        };
        let c = letter
            .compose_to("maria.lopez@example.com", "<t.7@evergreen.example.org>")
            .unwrap();
        assert_eq!(c.message_id, "<t.7@evergreen.example.org>");
        assert_eq!(c.envelope_to, vec!["maria.lopez@example.com".to_owned()]);
        assert!(c.bytes.contains("Message-ID: <t.7@evergreen.example.org>"));
        let hs = headers(&c.bytes);
        assert!(
            hs.iter().all(|h| !h.to_lowercase().starts_with("bcc:")),
            "{hs:?}"
        );
        assert_eq!(
            letter
                .compose_to("a@example.com\r\nBcc: v@x.example", "<t.8@e.org>")
                .unwrap_err(),
            ComposeError::BadRecipient
        );
    }

    fn from() -> Mailbox {
        "Consortium <director@evergreen.example.org>"
            .parse()
            .unwrap()
    }

    fn draft(subject: &str) -> Draft {
        Draft {
            to: "maria.lopez@example.com".into(),
            subject: subject.into(),
            text: "Hello".into(),
            html: "<p>Hello</p>".into(),
            in_reply_to: Some("abc@mail.example.com".into()),
            auto_submitted: "auto-replied",
        }
    }

    fn headers(bytes: &str) -> Vec<String> {
        let head = bytes.split("\r\n\r\n").next().unwrap();
        head.split("\r\n").map(str::to_owned).collect()
    }

    #[test]
    fn a_subject_with_crlf_cannot_add_a_header() {
        let c = compose(
            &from(),
            &draft("Re: Fix my name\r\nBcc: victim@attacker.example"),
        )
        .unwrap();
        let hs = headers(&c.bytes);
        assert!(
            hs.iter().all(|h| !h.to_lowercase().starts_with("bcc:")),
            "{hs:?}"
        );
        assert_eq!(c.envelope_to, vec!["maria.lopez@example.com".to_owned()]);
        let subject = hs.iter().find(|h| h.starts_with("Subject:")).unwrap();
        assert!(
            subject.contains("Fix my name Bcc: victim@attacker.example"),
            "{subject}"
        );
    }

    #[test]
    fn a_recipient_with_crlf_is_refused() {
        let mut d = draft("Hi");
        d.to = "a@example.com\r\nBcc: victim@attacker.example".into();
        assert_eq!(
            compose(&from(), &d).unwrap_err(),
            ComposeError::BadRecipient
        );
    }

    #[test]
    fn threading_and_auto_submitted_headers() {
        let c = compose(&from(), &draft("Hi")).unwrap();
        assert!(c.bytes.contains("In-Reply-To: <abc@mail.example.com>"));
        assert!(c.bytes.contains("Auto-Submitted: auto-replied"));
        assert!(c.bytes.contains(&format!("Message-ID: {}", c.message_id)));
        assert!(c.bytes.contains("multipart/alternative"));
        let mut d = draft("Hi");
        d.in_reply_to = Some("bad\r\nBcc: x@y".into());
        let c = compose(&from(), &d).unwrap();
        assert!(!c.bytes.contains("In-Reply-To"));
    }

    #[test]
    fn non_ascii_subjects_are_encoded() {
        let c = compose(&from(), &draft("Corrección de mi nombre")).unwrap();
        assert!(c.bytes.is_ascii());
        assert!(c.bytes.contains("Subject: =?utf-8?"));
    }
}
