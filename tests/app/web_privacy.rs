//! The privacy policy pages in a browser's hands (in-process, both
//! backends): the admin publishes on the manage form (a loosening refused
//! beside its field with the statute's clause and what was typed kept), the
//! public page shows the version, the children's rule and the difference, a
//! patron sees the notice on /my, opts out there and dismisses it, and the
//! use's contact list linked from the manage page leaves them out; a vendor
//! entered on its page with the use its contract serves finds them not valid.

use crate::app::support::*;

const ADMIN: &str = "admin.riverbend@demo.custodian.test";
const MANAGE: &str = "/libraries/riverbend/privacy/manage";

/// The form's fields: the version it was opened on, the text, the children's
/// rule, the use rows and the summary, plus `extra` pairs (a period, a basis).
fn form<'a>(
    csrf: &'a str,
    base: &'a str,
    text: &'a str,
    naming: &'a str,
    uses: &[(&'a str, &'a str)],
    summary: &'a str,
    extra: &[(&'a str, &'a str)],
) -> Vec<(&'a str, &'a str)> {
    let mut f = vec![
        ("csrf", csrf),
        ("base_version", base),
        ("text", text),
        ("children_naming", naming),
    ];
    for (k, d) in uses {
        f.push(("use_key", k));
        f.push(("use_description", d));
    }
    f.push(("summary", summary));
    f.extend_from_slice(extra);
    f
}

const TEXT: &str = "Your reading is your business.";

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
        // A form, field by field, starting from the version in force.
        assert!(
            shown.body.contains("<label for=\"text\">"),
            "{}",
            shown.body
        );
        assert!(!shown.body.contains("document_toml"), "{}", shown.body);
        assert!(
            shown.body.contains("id=\"naming-first_name_last_initial\" name=\"children_naming\" value=\"first_name_last_initial\" checked"),
            "{}",
            shown.body
        );
        assert!(
            shown.body.contains("id=\"days-holds_and_interlibrary_loans\" name=\"days-holds_and_interlibrary_loans\" value=\"30\""),
            "{}",
            shown.body
        );
        assert!(shown
            .body
            .contains("id=\"use-0-key\" name=\"use_key\" value=\"\""));
        assert!(shown.body.contains("id=\"basis-accept_subpoena\" name=\"basis\" value=\"accept_subpoena\" aria-describedby"));
        assert!(shown.body.contains("name=\"base_version\" value=\"0\""));
        let csrf = csrf_of(&shown.body);

        // Loosening the statute: refused beside the box with the statute's
        // clause, everything typed kept.
        let refused = b.post(
            MANAGE,
            &form(
                &csrf,
                "0",
                TEXT,
                "first_name_only",
                &[("newsletter", "A monthly newsletter by email.")],
                "Subpoenas",
                &[("basis", "accept_subpoena")],
            ),
        );
        assert_eq!(refused.status, 422, "[{backend}] {}", refused.body);
        assert!(refused.body.contains("<title>Error: Privacy policy of"));
        assert!(
            refused.body.contains("id=\"basis-accept_subpoena-error\""),
            "{}",
            refused.body
        );
        assert!(
            refused.body.contains("href=\"#basis-accept_subpoena\""),
            "{}",
            refused.body
        );
        assert!(
            refused.body.contains("Refused under RSMo 182.817"),
            "{}",
            refused.body
        );
        assert!(refused.body.contains(TEXT), "{}", refused.body);
        assert!(
            refused.body.contains("value=\"Subpoenas\""),
            "{}",
            refused.body
        );
        assert!(
            refused.body.contains("value=\"newsletter\""),
            "{}",
            refused.body
        );
        assert!(
            refused.body.contains("value=\"first_name_only\" checked"),
            "{}",
            refused.body
        );
        assert!(
            refused.body.contains("value=\"accept_subpoena\" checked"),
            "{}",
            refused.body
        );

        // A period longer than the law's: beside its days, with the clause.
        let longer = b.post(
            MANAGE,
            &form(
                &csrf,
                "0",
                TEXT,
                "first_name_last_initial",
                &[],
                "Holds for longer",
                &[
                    ("days-holds_and_interlibrary_loans", "45"),
                    ("then-holds_and_interlibrary_loans", "anonymize"),
                ],
            ),
        );
        assert_eq!(longer.status, 422, "[{backend}] {}", longer.body);
        assert!(
            longer.body.contains("id=\"days-holds_and_interlibrary_loans-error\">Holds and interlibrary loans: may be at most 30 days. Refused under Library policy"),
            "{}",
            longer.body
        );
        assert!(
            longer
                .body
                .contains("name=\"days-holds_and_interlibrary_loans\" value=\"45\""),
            "{}",
            longer.body
        );
        // A use's key that is not a key: beside that row.
        let badkey = b.post(
            MANAGE,
            &form(
                &csrf,
                "0",
                TEXT,
                "first_name_last_initial",
                &[("", ""), ("News Letter", "A newsletter.")],
                "A newsletter",
                &[],
            ),
        );
        assert_eq!(badkey.status, 422, "[{backend}] {}", badkey.body);
        assert!(
            badkey.body.contains("id=\"use-1-key-error\""),
            "{}",
            badkey.body
        );

        let one = b.post(
            MANAGE,
            &form(
                &csrf,
                "0",
                TEXT,
                "first_name_last_initial",
                &[],
                "Our first policy.",
                &[],
            ),
        );
        assert_eq!(one.status, 303, "[{backend}] {}", one.body);
        // A form opened before version 1 was published does not overwrite it.
        let stale = b.post(
            MANAGE,
            &form(
                &csrf,
                "0",
                "Other words.",
                "first_name_only",
                &[],
                "Stale.",
                &[],
            ),
        );
        assert_eq!(stale.status, 422, "[{backend}] {}", stale.body);
        assert!(
            stale
                .body
                .contains("version 1 was published after this form was opened"),
            "{}",
            stale.body
        );

        // The newsletter is not in version 1: it is new, and patrons are told.
        let two = b.post(
            MANAGE,
            &form(
                &csrf,
                "1",
                TEXT,
                "first_name_only",
                &[("newsletter", "A monthly newsletter by email.")],
                "A newsletter; children by first name.",
                &[
                    ("days-holds_and_interlibrary_loans", "7"),
                    ("then-holds_and_interlibrary_loans", "delete"),
                ],
            ),
        );
        assert_eq!(two.status, 303, "[{backend}] {}", two.body);
        let to = two.location.clone().unwrap();
        assert!(to.contains("done=2"), "{to}");
        assert!(to.contains("queued=1"), "{to}");
        let after = b.get(&to);
        assert!(
            after.body.contains("Version 2 is published."),
            "{}",
            after.body
        );
        assert!(after.body.contains("name=\"base_version\" value=\"2\""));
        assert!(
            after
                .body
                .contains("name=\"days-holds_and_interlibrary_loans\" value=\"7\""),
            "{}",
            after.body
        );
        // The contact list for the use, from the page, leaves no one out yet.
        let link = "/api/v1/libraries/riverbend/exports/newsletter?format=csv";
        assert!(
            after.body.contains(&format!("href=\"{link}\"")),
            "{}",
            after.body
        );
        let list = b.get(link);
        assert_eq!(list.status, 200, "[{backend}] {}", list.body);
        assert!(
            list.body.contains("p21000888001@example.org"),
            "{}",
            list.body
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
        let list = b.get(link);
        assert_eq!(list.body, "name,email\n", "[{backend}]");
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

#[test]
fn a_vendor_entered_with_its_use_on_the_page_finds_an_opted_out_patron_not_valid() {
    each_backend(|backend| {
        let app = TestApp::spawn(backend);
        let staff = app.sign_in(ADMIN);
        let card = "21000888002";
        patron(&app, &staff, "riverbend", card);
        let r = post(
            &app.url("/api/v1/libraries/riverbend/privacy-policy/versions"),
            Some(&staff),
            &serde_json::json!({
                "document": {
                    "jurisdiction": "missouri",
                    "uses": [{"key": "reading_program", "description": "Reading-program statistics shared with Beanstack."}],
                    "vendors": {"kinds": ["card_registration"], "fields": ["card_number"]},
                },
                "summary": "A summer reading program.",
                "new_uses": ["reading_program"],
            }),
        );
        assert_eq!(r.status, 201, "[{backend}] {:?}", r.body);

        let mut b = Browser::new(&app);
        let (_, landed) = sign_in(&mut b, ADMIN, &app.password(ADMIN));
        let csrf = csrf_of(&landed.body);
        let list = b.get("/libraries/riverbend/vendors/manage");
        assert!(
            list.body.contains("<label for=\"use\">The optional use it serves (optional)</label><input id=\"use\" name=\"use\" value=\"\""),
            "[{backend}] {}",
            list.body
        );
        let today = chrono::Utc::now().date_naive();
        let (starts, ends) = (
            (today - chrono::Duration::days(1))
                .format("%Y-%m-%d")
                .to_string(),
            (today + chrono::Duration::days(90))
                .format("%Y-%m-%d")
                .to_string(),
        );
        let contract = |use_key: &'static str| {
            vec![
                ("csrf", csrf.clone()),
                ("name", "Beanstack".to_owned()),
                ("service", "reading programs".to_owned()),
                (
                    "privacy_policy_url",
                    "https://beanstack.example/privacy".to_owned(),
                ),
                ("contract_starts", starts.clone()),
                ("contract_ends", ends.clone()),
                ("fields", "card_valid".to_owned()),
                ("purpose", "reading program sign-up".to_owned()),
                ("use", use_key.to_owned()),
            ]
        };
        let pairs = |c: &[(&'static str, String)]| -> Vec<(&'static str, String)> { c.to_vec() };
        let bad = pairs(&contract("Reading Program"));
        let bad: Vec<(&str, &str)> = bad.iter().map(|(k, v)| (*k, v.as_str())).collect();
        let refused = b.post("/libraries/riverbend/vendors/manage", &bad);
        assert_eq!(refused.status, 400, "[{backend}] {}", refused.body);
        assert!(
            refused.body.contains("id=\"use-error\""),
            "{}",
            refused.body
        );
        assert!(
            refused.body.contains("value=\"Reading Program\""),
            "{}",
            refused.body
        );

        let good = pairs(&contract("reading_program"));
        let good: Vec<(&str, &str)> = good.iter().map(|(k, v)| (*k, v.as_str())).collect();
        let made = b.post("/libraries/riverbend/vendors/manage", &good);
        assert_eq!(made.status, 303, "[{backend}] {}", made.body);
        let vendor = made.location.unwrap();
        let page = b.get(&vendor);
        assert!(page.body.contains("Serves the use"), "{}", page.body);
        assert!(page.body.contains("reading_program"), "{}", page.body);
        let shown = b.post(
            &format!("{}/keys", vendor.split('?').next().unwrap()),
            &[("csrf", &csrf)],
        );
        assert_eq!(shown.status, 201, "[{backend}] {}", shown.body);
        let at = shown.body.find("<code id=\"new-key\">").unwrap() + "<code id=\"new-key\">".len();
        let key = shown.body[at..at + shown.body[at..].find('<').unwrap()].to_owned();
        let status = || {
            post_with_headers(
                &app.url("/api/v1/vendor/patron-status"),
                &[("Authorization", &format!("Bearer {key}"))],
                &serde_json::json!({"card_number": card}),
            )
        };
        assert_eq!(status().body["valid"], true, "[{backend}]");
        let me = app.as_patron("riverbend", card, "2468");
        me.put(
            "/api/v1/patron/me/opt-outs",
            &serde_json::json!({"reading_program": true}),
        )
        .assert_status(200);
        assert_eq!(status().body["valid"], false, "[{backend}]");
    });
}
