"""Flow: a library's privacy policy (#16). Lakeshore's admin publishes a
version on the form (a period longer than the law's refused beside it
first), then one adding a newsletter; anyone reads the public page and its
difference; the patron sees the notice on /my, opts out, and dismisses it."""

from flows._steps import patron_sign_in, sign_out, staff_sign_in

SLUG = "lakeshore"
TEXT = "Your reading is your business."


def _submit(page, button):
    """Presses `button` and waits for the page the form leads to; returns its response."""
    with page.expect_navigation(wait_until="load") as nav:
        button.click()
    return nav.value


def _publish(page, summary):
    page.get_by_label("What changed (patrons read this)").fill(summary)
    return _submit(page, page.get_by_role("button", name="Publish this version"))


def an_admin_publishes_and_a_patron_opts_out(page, base, run):
    staff_sign_in(page, base, run, f"admin.{SLUG}@demo.custodian.test")
    _submit(page, page.locator("header").get_by_role("link", name="Privacy policy"))
    run.check(page.url.endswith(f"/libraries/{SLUG}/privacy/manage"), f"Privacy policy led to {page.url}")
    run.here(page, "flow: privacy policy, compose")
    # Longer than the law allows: refused beside the period, with the clause.
    page.get_by_label("The library's policy, as patrons read it").fill(TEXT)
    holds = page.locator("#days-holds_and_interlibrary_loans")
    holds.fill("999")
    response = _publish(page, "Keep holds longer")
    run.check(response.status == 422, f"a loosening answered {response.status}")
    run.check(page.title().startswith("Error: "), f"the refusal's title is {page.title()!r}")
    run.check(holds.input_value() == "999", "the form lost the period typed")
    run.check(page.locator("#text").input_value() == TEXT, "the form lost the text typed")
    run.check(page.locator("#days-holds_and_interlibrary_loans[aria-invalid=true]").count() == 1, "the period is not marked invalid")
    run.check("Refused under" in page.locator("#days-holds_and_interlibrary_loans-error").inner_text(), "the refusal names no clause")
    run.here(page, "flow: privacy policy refused")
    holds.fill("7")
    page.locator("#then-holds_and_interlibrary_loans").select_option("delete")
    _publish(page, "Our first policy.")
    run.check("Version 1 is published" in page.locator("main").inner_text(), "no notice after publishing")
    page.get_by_label("First name only").check()
    page.get_by_label("Use 1: short name").fill("newsletter")
    page.get_by_label("Use 1: what the library does").fill("A monthly newsletter by email.")
    _publish(page, "A newsletter; children by first name.")
    run.check("Version 2 is published" in page.locator("main").inner_text(), "no notice after version 2")
    run.check(page.get_by_role("link", name="Download the list for newsletter (CSV)").count() == 1, "no contact list for the newsletter")
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
