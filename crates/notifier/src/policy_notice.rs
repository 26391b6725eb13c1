//! The notice of a privacy policy version that adds uses of patrons' data
//! (#16): what changed and how to opt out, one message per patron.
//!
//! custody decides who is told and queues the messages in batches
//! ([`custody::privacy_policy`]); the mailroom implements its
//! [`PolicyNotifier`], rendering the letter once per batch.

use crate::message::{compose, Draft};
use crate::requests::Mailroom;
use crate::templates::Rendered;
use askama::Template;
use custody::privacy_policy::{ComposedNotice, PolicyNotice, PolicyNotifier};
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
    fn compose_policy_notices(
        &self,
        notice: &PolicyNotice,
        to: &[String],
    ) -> CustodyResult<Vec<ComposedNotice>> {
        let rendered =
            render(notice, self.public_url()).map_err(|e| CustodyError::Internal(e.to_string()))?;
        let mut out = Vec::with_capacity(to.len());
        for address in to {
            let composed = compose(
                self.from_mailbox(),
                &Draft {
                    to: address.clone(),
                    subject: rendered.subject.clone(),
                    text: rendered.text.clone(),
                    html: rendered.html.clone(),
                    in_reply_to: None,
                    auto_submitted: "auto-generated",
                },
            )
            .map_err(|_| {
                CustodyError::Internal(
                    "a patron's email address could not be used for the policy notice".into(),
                )
            })?;
            out.push(ComposedNotice {
                message_id: composed.message_id,
                template: rendered.template,
                recipient_hint: policy::masking::mask_email(address),
                envelope_from: composed.envelope_from,
                envelope_to: composed.envelope_to,
                message: composed.bytes,
            });
        }
        Ok(out)
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
