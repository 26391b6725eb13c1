//! The notice of a privacy policy version that adds uses of patrons' data
//! (#16): what changed and how to opt out, one message per patron.
//!
//! custody decides who is told and queues the messages in batches
//! ([`custody::privacy_policy`]); the mailroom implements its
//! [`PolicyNotifier`], rendering the letter once per version; the outbox
//! keeps it once and each patron's message is composed from it on delivery
//! ([`crate::delivery`]).

use crate::message::{random_token, SharedLetter};
use crate::requests::Mailroom;
use crate::templates::Rendered;
use askama::Template;
use custody::privacy_policy::{PolicyNotice, PolicyNotifier, SharedNotice};
use custody::{CustodyError, CustodyResult};

#[derive(Template)]
#[template(path = "policy_notice.txt")]
struct Text<'a> {
    m: &'a PolicyNotice,
    my: &'a str,
    policy: &'a str,
}

#[derive(Template)]
#[template(path = "policy_notice.html")]
struct Html<'a> {
    m: &'a PolicyNotice,
    my: &'a str,
    policy: &'a str,
}

/// Renders the notice; `base` is custodian's public URL.
pub fn render(m: &PolicyNotice, base: &str) -> Result<Rendered, askama::Error> {
    let base = base.trim_end_matches('/');
    let my = format!("{base}/my");
    let policy = format!("{base}/libraries/{}/privacy", m.slug);
    Ok(Rendered {
        template: "policy_notice",
        subject: format!("{} changed its privacy policy: you may opt out", m.library),
        text: Text {
            m,
            my: &my,
            policy: &policy,
        }
        .render()?,
        html: Html {
            m,
            my: &my,
            policy: &policy,
        }
        .render()?,
    })
}

impl PolicyNotifier for Mailroom {
    fn shared_policy_notice(&self, notice: &PolicyNotice) -> CustodyResult<SharedNotice> {
        let rendered =
            render(notice, self.public_url()).map_err(|e| CustodyError::Internal(e.to_string()))?;
        let letter = SharedLetter {
            from: self.from_mailbox().to_string(),
            subject: rendered.subject,
            text: rendered.text,
            html: rendered.html,
            auto_submitted: "auto-generated".into(),
        };
        let body =
            serde_json::to_string(&letter).map_err(|e| CustodyError::Internal(e.to_string()))?;
        Ok(SharedNotice {
            template: rendered.template,
            body,
            message_id_prefix: format!("<{}.", random_token()),
            message_id_suffix: format!("@{}>", self.from_mailbox().email.domain()),
        })
    }

    fn queued(&self) {
        self.waker().notify();
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use custody::privacy_policy::UseView;

    #[test]
    fn the_notice_says_what_changed_and_how_to_opt_out_and_escapes_html() {
        let m = PolicyNotice {
            library: "Riverbend <Public> Library".into(),
            slug: "riverbend".into(),
            version: 2,
            summary: "We start a newsletter.".into(),
            new_uses: vec![UseView {
                key: "newsletter".into(),
                description: "A monthly newsletter by email.".into(),
            }],
        };
        let r = render(&m, "https://custodian.example/").unwrap();
        for part in [&r.text, &r.html] {
            assert!(part.contains("A monthly newsletter by email."), "{part}");
            assert!(part.contains("https://custodian.example/my"), "{part}");
            assert!(part.contains("/libraries/riverbend/privacy"), "{part}");
            assert!(part.contains("opt out"), "{part}");
        }
        assert!(!r.html.contains("<Public>"));
    }
}
