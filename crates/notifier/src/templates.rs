//! Every message custodian sends, as a text part and an HTML part (askama,
//! checked at compile time; the HTML templates escape what they insert).

use askama::Template;

/// Who a message goes to, which decides its wording: a library's directory
/// contact asking about its entry is not told about "information held about you".
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Audience {
    /// A patron of a member library, writing about their own account.
    Patron,
    /// A member library's directory contact, writing about the library's entry.
    Library,
    /// Anyone else.
    Other,
}

impl Audience {
    /// The audience of a request in `queue`: a library's queue holds its
    /// patrons' requests, the director's inbox its member libraries', triage the rest.
    pub fn of_queue(queue: &str) -> Self {
        match queue {
            "library" => Audience::Patron,
            "inbox" => Audience::Library,
            _ => Audience::Other,
        }
    }

    /// What a request of `kind` asks, as the recipient would put it.
    pub fn kind_phrase(self, kind: &str) -> &'static str {
        match (self, kind) {
            (Audience::Patron, "correct") => "correct information held about you",
            (Audience::Patron, "update") => "update information held about you",
            (Audience::Patron, "delete") => {
                "delete your account and the information held about you"
            }
            (Audience::Library, "correct") => {
                "correct your library's entry in the consortium's directory"
            }
            (Audience::Library, "update") => {
                "update your library's entry in the consortium's directory"
            }
            (Audience::Library, "delete") => {
                "remove your library's information from the consortium's directory"
            }
            (Audience::Other, "correct") => "correct the information your message describes",
            (Audience::Other, "update") => "update the information your message describes",
            (Audience::Other, "delete") => "delete the information your message describes",
            _ => "look into your message",
        }
    }

    /// Whether the recipient is a patron (templates branch on it).
    pub fn is_patron(&self) -> bool {
        *self == Audience::Patron
    }

    /// Whether the recipient is a member library's contact.
    pub fn is_library(&self) -> bool {
        *self == Audience::Library
    }
}

/// What a confirmation (or its reminder) says.
#[derive(Debug, Clone)]
pub struct Confirm {
    /// When the request arrived (RFC 3339, UTC).
    pub received: String,
    /// "correct", "update" or "delete" the information held about you.
    pub kind_phrase: String,
    /// Who will handle it: the library's name or the consortium office.
    pub handler: String,
    /// Whether it went to the sender's own library.
    pub library: bool,
    /// The single-use link.
    pub link: String,
    /// When the link expires (RFC 3339, UTC).
    pub expires: String,
    /// The request's number, for reference.
    pub reference: String,
    /// The consortium's name, as the signature.
    pub consortium: String,
}

/// What a reply from staff, or the closing notice, says.
#[derive(Debug, Clone)]
pub struct Reply {
    /// Staff's words to the requester (never their internal note); for a
    /// closing notice, empty leaves the template's own wording alone.
    pub text: String,
    /// Who it goes to.
    pub audience: Audience,
    /// Whether the request asked for deletion (the backup notice is then added).
    pub deletion: bool,
    /// The notice about backups.
    pub backup_notice: &'static str,
    /// When the request arrived (RFC 3339, UTC).
    pub received: String,
    /// What it asked for, in words.
    pub kind_phrase: String,
    /// Done (true) or declined (false), for a closing notice.
    pub done: bool,
    /// The request's number.
    pub reference: String,
    /// Who signs: the library or the consortium office.
    pub handler: String,
}

impl Reply {
    /// Staff's words as paragraphs, for the HTML part.
    pub fn paragraphs(&self) -> Vec<&str> {
        self.text
            .split("\n\n")
            .map(str::trim)
            .filter(|p| !p.is_empty())
            .collect()
    }
}

/// What the notice to a patron whose message went to their library says.
#[derive(Debug, Clone)]
pub struct Routed {
    /// When it arrived (RFC 3339, UTC).
    pub received: String,
    /// The library's name.
    pub handler: String,
    /// The request's number.
    pub reference: String,
    /// The consortium's name.
    pub consortium: String,
}

macro_rules! pair {
    ($ctx:ty, $text:ident = $tpath:literal, $html:ident = $hpath:literal $(, $extra:ident: $ety:ty)*) => {
        #[derive(Template)]
        #[template(path = $tpath)]
        struct $text<'a> {
            m: &'a $ctx,
            $($extra: $ety,)*
        }

        #[derive(Template)]
        #[template(path = $hpath)]
        struct $html<'a> {
            m: &'a $ctx,
            $($extra: $ety,)*
        }
    };
}

pair!(Confirm, ConfirmText = "request_confirm.txt", ConfirmHtml = "request_confirm.html", reminder: bool);
pair!(
    Routed,
    RoutedText = "request_routed.txt",
    RoutedHtml = "request_routed.html"
);
pair!(
    Reply,
    ReplyText = "request_reply.txt",
    ReplyHtml = "request_reply.html"
);
pair!(
    Reply,
    ClosedText = "request_closed.txt",
    ClosedHtml = "request_closed.html"
);

/// A rendered message: subject, text part, HTML part.
#[derive(Debug, Clone)]
pub struct Rendered {
    /// The template's name, for the outbox.
    pub template: &'static str,
    /// Subject line.
    pub subject: String,
    /// Text part.
    pub text: String,
    /// HTML part.
    pub html: String,
}

/// Renders the confirmation request, or its reminder.
pub fn confirm(m: &Confirm, reminder: bool) -> Result<Rendered, askama::Error> {
    Ok(Rendered {
        template: if reminder {
            "request_reminder"
        } else {
            "request_confirm"
        },
        subject: if reminder {
            format!("Reminder: please confirm your request ({})", m.reference)
        } else {
            format!("Please confirm your request ({})", m.reference)
        },
        text: ConfirmText { m, reminder }.render()?,
        html: ConfirmHtml { m, reminder }.render()?,
    })
}

/// Renders the notice that a message went to the sender's library.
pub fn routed(m: &Routed) -> Result<Rendered, askama::Error> {
    Ok(Rendered {
        template: "request_routed",
        subject: format!("Your message has been passed to {}", m.handler),
        text: RoutedText { m }.render()?,
        html: RoutedHtml { m }.render()?,
    })
}

/// Renders a reply from staff; `subject` is the request's own, answered.
pub fn reply(m: &Reply, subject: &str) -> Result<Rendered, askama::Error> {
    let subject = subject.trim();
    let subject = if subject.to_lowercase().starts_with("re:") {
        subject.to_owned()
    } else if subject.is_empty() {
        format!("Your request ({})", m.reference)
    } else {
        format!("Re: {subject}")
    };
    Ok(Rendered {
        template: "request_reply",
        subject,
        text: ReplyText { m }.render()?,
        html: ReplyHtml { m }.render()?,
    })
}

/// Renders the notice that a request was completed or declined.
pub fn closed(m: &Reply) -> Result<Rendered, askama::Error> {
    Ok(Rendered {
        template: if m.done {
            "request_done"
        } else {
            "request_declined"
        },
        subject: if m.done {
            format!("Your request has been completed ({})", m.reference)
        } else {
            format!("Your request has been declined ({})", m.reference)
        },
        text: ClosedText { m }.render()?,
        html: ClosedHtml { m }.render()?,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn reply_ctx(text: &str, deletion: bool) -> Reply {
        Reply {
            text: text.into(),
            deletion,
            backup_notice: policy::requests::BACKUP_NOTICE,
            received: "2026-11-20".into(),
            kind_phrase: "delete the information held about you".into(),
            audience: Audience::Patron,
            done: true,
            reference: "R-1-7".into(),
            handler: "Riverbend Public Library".into(),
        }
    }

    #[test]
    fn a_deletion_reply_mentions_backups_in_both_parts() {
        let r = reply(
            &reply_ctx("Your account is deleted.", true),
            "Delete my account",
        )
        .unwrap();
        assert_eq!(r.subject, "Re: Delete my account");
        assert!(r.text.contains(policy::requests::BACKUP_NOTICE));
        assert!(r.html.contains("backup media"));
        let r = reply(&reply_ctx("Done.", false), "Fix").unwrap();
        assert!(!r.text.contains("backup media"));
    }

    #[test]
    fn html_parts_escape_what_staff_wrote() {
        let r = reply(&reply_ctx("<script>alert(1)</script>", false), "x").unwrap();
        assert!(!r.html.contains("<script>"));
        assert!(r.text.contains("<script>"));
    }

    #[test]
    fn confirmation_names_the_link_and_the_library() {
        let m = Confirm {
            received: "2026-11-20".into(),
            kind_phrase: "correct the information held about you".into(),
            handler: "Riverbend Public Library".into(),
            library: true,
            link: "http://localhost:8080/requests/confirm/c1.abc".into(),
            expires: "2026-11-27".into(),
            reference: "R-1-7".into(),
            consortium: "Evergreen".into(),
        };
        let r = confirm(&m, false).unwrap();
        assert!(r
            .text
            .contains("http://localhost:8080/requests/confirm/c1.abc"));
        assert!(r.text.contains("Riverbend Public Library will\nhandle it"));
        let r = confirm(&m, true).unwrap();
        assert!(r.subject.starts_with("Reminder"));
    }

    #[test]
    fn a_closing_notice_fits_its_recipient() {
        for (audience, kind, says, never) in [
            (
                Audience::Patron,
                "correct",
                "held about you",
                "your library's entry",
            ),
            (
                Audience::Library,
                "update",
                "your library's entry in the consortium's directory",
                "about you",
            ),
            (Audience::Library, "delete", "directory", "about you"),
            (
                Audience::Other,
                "correct",
                "your message describes",
                "about you",
            ),
        ] {
            let mut m = reply_ctx("", false);
            m.audience = audience;
            m.kind_phrase = audience.kind_phrase(kind).into();
            let r = closed(&m).unwrap();
            for part in [&r.text, &r.html.replace("&#39;", "'")] {
                assert!(part.contains(says), "{audience:?}: {part}");
                assert!(!part.contains(never), "{audience:?}: {part}");
            }
        }
        let mut m = reply_ctx("", false);
        m.audience = Audience::Library;
        assert!(closed(&m)
            .unwrap()
            .text
            .contains("your library's directory entry"));
    }
}
