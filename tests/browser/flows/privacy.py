"""Flow: a library's privacy policy (#16). Lakeshore's admin publishes a
version (a loosening refused beside the document first), then one adding a
newsletter; anyone reads the public page and its difference; the patron
sees the notice on /my, opts out, and dismisses it."""

from flows._steps import patron_sign_in, sign_out, staff_sign_in

SLUG = "lakeshore"
FIRST = 'jurisdiction = "generic"\ntext = "Your reading is your business."\n'
SECOND = (
    'jurisdiction = "generic"\ntext = "Your reading is your business."\n'
    'children_naming = "first_name_only"\n\n'
    '[[uses]]\nkey = "newsletter"\ndescription = "A monthly newsletter by email."\n'
)


def _submit(page, button):
    """Presses `button` and waits for the page the form leads to; returns its response."""
    with page.expect_navigation(wait_until="load") as nav:
        button.click()
    return nav.value


def _publish(page, document, summary, new_uses=""):
    page.locator("#document_toml").fill(document)
    page.locator("#summary").fill(summary)
    page.locator("#new_uses").fill(new_uses)
    return _submit(page, page.get_by_role("button", name="Publish this version"))


def an_admin_publishes_and_a_patron_opts_out(page, base, run):
    staff_sign_in(page, base, run, f"admin.{SLUG}@demo.custodian.test")
    _submit(page, page.locator("header").get_by_role("link", name="Privacy policy"))
    run.check(page.url.endswith(f"/libraries/{SLUG}/privacy/manage"), f"Privacy policy led to {page.url}")
    run.here(page, "flow: privacy policy, compose")
    response = _publish(page, 'jurisdiction = "generic"\n[minors]\nage = 5\n', "Younger children")
    run.check(response.status == 422, f"a loosening answered {response.status}")
    run.check(page.title().startswith("Error: "), f"the refusal's title is {page.title()!r}")
    run.check("age = 5" in page.locator("#document_toml").input_value(), "the form lost what was typed")
    run.check(page.locator("#document_toml[aria-invalid=true]").count() == 1, "the document is not marked invalid")
    run.here(page, "flow: privacy policy refused")
    _publish(page, FIRST, "Our first policy.")
    run.check("Version 1 is published" in page.locator("main").inner_text(), "no notice after publishing")
    _publish(page, SECOND, "A newsletter; children by first name.", "newsletter")
    run.check("Version 2 is published" in page.locator("main").inner_text(), "no notice after version 2")
    run.here(page, "flow: privacy policy published")
    sign_out(page)

    page.goto(base + f"/libraries/{SLUG}/privacy", wait_until="load")
    main = page.locator("main").inner_text()
    run.check("Version 2, published" in main, "the public page does not show version 2")
    run.check(page.locator("ul.diff li.added").count() > 0, "the public page shows no difference")
    run.here(page, "flow: public privacy policy with its difference")
    page.get_by_label("From version").select_option("1")
    page.get_by_label("To version").select_option("2")
    _submit(page, page.get_by_role("button", name="Compare"))
    run.check("from=1" in page.url, f"Compare led to {page.url}")

    patron_sign_in(page, base, run, SLUG)
    run.check("changed its privacy policy" in page.locator("main").inner_text(), "the patron sees no notice on /my")
    run.here(page, "flow: /my with the policy notice")
    box = page.get_by_label("A monthly newsletter by email.")
    run.check(box.is_checked(), "the newsletter is not allowed by default")
    box.uncheck()
    _submit(page, page.get_by_role("button", name="Save my choices"))
    run.check(not page.get_by_label("A monthly newsletter by email.").is_checked(), "the opt-out was not kept")
    run.here(page, "flow: /my after opting out")
    _submit(page, page.get_by_role("button", name="Dismiss this notice"))
    run.check("changed its privacy policy" not in page.locator("main").inner_text(), "the notice stayed after dismissing")
    sign_out(page)


FLOWS = [an_admin_publishes_and_a_patron_opts_out]
