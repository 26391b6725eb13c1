//! The privacy policy pages in a browser's hands (in-process, both
//! backends): the admin publishes on the manage page (a loosening refused
//! beside the document with what was typed kept), the public page shows the
//! version, the children's rule and the difference, and a patron sees the
//! notice on /my, opts out there and dismisses it.

use crate::app::support::*;

const ADMIN: &str = "admin.riverbend@demo.custodian.test";
const MANAGE: &str = "/libraries/riverbend/privacy/manage";

const FIRST: &str = "jurisdiction = \"missouri\"\ntext = \"Your reading is your business.\"\n";
const SECOND: &str = "jurisdiction = \"missouri\"\ntext = \"Your reading is your business.\"\nchildren_naming = \"first_name_only\"\n\n[[uses]]\nkey = \"newsletter\"\ndescription = \"A monthly newsletter by email.\"\n";

#[test]
fn an_admin_publishes_and_the_public_and_a_patron_see_it() {
    each_backend(|backend| {
        let app = TestApp::spawn(backend);
        let staff = app.sign_in(ADMIN);
        let card = "21000888001";
        patron(&app, &staff, "riverbend", card);

        let mut b = Browser::new(&app);
        let (_, landed) = sign_in(&mut b, ADMIN, &app.password(ADMIN));
        assert!(
            landed.body.contains(&format!("href=\"{MANAGE}\"")),
            "[{backend}] no Privacy policy link"
        );
        let shown = b.get(MANAGE);
        assert_eq!(shown.status, 200, "[{backend}] {}", shown.body);
        assert!(shown.body.contains("<label for=\"document_toml\">"));
        assert!(
            shown.body.contains("jurisdiction = &quot;missouri&quot;")
                || shown.body.contains("jurisdiction = &#34;missouri&#34;"),
            "{}",
            shown.body
        );
        let csrf = csrf_of(&shown.body);

        // Loosening the statute: refused beside the document, what was typed kept.
        let loose = "jurisdiction = \"missouri\"\n[disclosure]\naccept_subpoena = true\n";
        let refused = b.post(
            MANAGE,
            &[
                ("csrf", &csrf),
                ("document_toml", loose),
                ("summary", "Subpoenas"),
                ("new_uses", ""),
            ],
        );
        assert_eq!(refused.status, 422, "[{backend}] {}", refused.body);
        assert!(refused.body.contains("<title>Error: Privacy policy of"));
        assert!(
            refused.body.contains("id=\"document_toml-error\""),
            "{}",
            refused.body
        );
        assert!(refused.body.contains("RSMo 182.817"), "{}", refused.body);
        assert!(
            refused.body.contains("accept_subpoena = true"),
            "{}",
            refused.body
        );
        assert!(
            refused.body.contains("value=\"Subpoenas\""),
            "{}",
            refused.body
        );

        let one = b.post(
            MANAGE,
            &[
                ("csrf", &csrf),
                ("document_toml", FIRST),
                ("summary", "Our first policy."),
                ("new_uses", ""),
            ],
        );
        assert_eq!(one.status, 303, "[{backend}] {}", one.body);
        let two = b.post(
            MANAGE,
            &[
                ("csrf", &csrf),
                ("document_toml", SECOND),
                ("summary", "A newsletter; children by first name."),
                ("new_uses", "newsletter"),
            ],
        );
        assert_eq!(two.status, 303, "[{backend}] {}", two.body);
        let to = two.location.clone().unwrap();
        assert!(to.contains("done=2"), "{to}");
        let after = b.get(&to);
        assert!(
            after.body.contains("Version 2 is published."),
            "{}",
            after.body
        );

        // The public page: the version, the children's rule, the difference.
        let mut anyone = Browser::new(&app);
        let public = anyone.get("/libraries/riverbend/privacy");
        assert_eq!(public.status, 200, "[{backend}] {}", public.body);
        assert!(
            public.body.contains("Version 2, published"),
            "{}",
            public.body
        );
        assert!(public.body.contains("Your reading is your business."));
        assert!(
            public
                .body
                .contains("Shown in public here: <strong>Ada</strong>"),
            "{}",
            public.body
        );
        assert!(public.body.contains("A monthly newsletter by email."));
        assert!(public.body.contains("Version 1: Our first policy."));
        assert!(
            public
                .body
                .contains("<li class=\"added\"><ins><span class=\"vh\">added: </span>"),
            "{}",
            public.body
        );
        assert!(
            public.body.contains("<li class=\"removed\"><del>"),
            "{}",
            public.body
        );
        let chosen = anyone.get("/libraries/riverbend/privacy?from=1&to=1");
        assert_eq!(chosen.status, 200);
        assert!(
            !chosen.body.contains("<li class=\"added\">"),
            "{}",
            chosen.body
        );

        // The patron: the notice on /my, the opt-out, the dismissal.
        let mut p = Browser::new(&app);
        let (_, home) = my_sign_in(&mut p, "riverbend", card, "2468");
        assert_eq!(home.status, 200, "[{backend}] {}", home.body);
        assert!(
            home.body.contains("changed its privacy policy"),
            "{}",
            home.body
        );
        assert!(home.body.contains("A newsletter; children by first name."));
        assert!(
            home.body
                .contains("id=\"use-newsletter\" name=\"allow\" value=\"newsletter\" checked"),
            "{}",
            home.body
        );
        let csrf = csrf_of(&home.body);
        let saved = p.post(
            "/my/privacy/opt-outs",
            &[("csrf", &csrf), ("use", "newsletter")],
        );
        assert_eq!(saved.status, 303, "[{backend}] {}", saved.body);
        let home = p.get("/my?done=opt-outs");
        assert!(
            home.body.contains("Your choices are saved"),
            "{}",
            home.body
        );
        assert!(
            home.body
                .contains("id=\"use-newsletter\" name=\"allow\" value=\"newsletter\" />"),
            "{}",
            home.body
        );
        assert!(home.body.contains("Opted out of"), "{}", home.body);
        assert!(home
            .body
            .contains("newsletter, under privacy policy version 2"));
        let gone = p.post("/my/privacy/dismiss", &[("csrf", &csrf), ("version", "2")]);
        assert_eq!(gone.status, 303, "[{backend}] {}", gone.body);
        let home = p.get("/my");
        assert!(
            !home.body.contains("changed its privacy policy"),
            "{}",
            home.body
        );
        // A form without its token changes nothing.
        let forged = p.post(
            "/my/privacy/opt-outs",
            &[
                ("csrf", "nope"),
                ("use", "newsletter"),
                ("allow", "newsletter"),
            ],
        );
        assert_eq!(forged.status, 403, "[{backend}] {}", forged.body);
    });
}
