"""Flows: statistics that identify no one (#15). A patron signs in; the
library's admin opens Statistics from the header, sees the day's sign-ins
withheld (fewer than 5), asks for an impossible range and is told what to
type; the director sees every library."""

from flows._steps import patron_sign_in, sign_out, staff_sign_in


def _submit(page, button):
    """Presses `button` and waits for the page the form leads to; returns its response."""
    with page.expect_navigation(wait_until="load") as nav:
        button.click()
    return nav.value


def statistics_for_the_admin_and_the_director(page, base, run):
    """The admin's statistics page, a refused range, and the director's page."""
    patron_sign_in(page, base, run, "riverbend")
    sign_out(page)
    # Five more through the API: today's sign-ins are then shown, and drawn.
    who = run.patron("riverbend")
    for _ in range(5):
        r = page.request.post(base + "/api/v1/libraries/riverbend/patron/sign-in",
                              data={"card_number": who["card"], "pin": who["pin"]})
        run.check(r.status == 200, f"a patron sign-in answered {r.status}")
    staff_sign_in(page, base, run, "admin.riverbend@demo.custodian.test")
    page.locator("header").get_by_role("link", name="Statistics").click()
    page.wait_for_load_state("load")
    run.check(page.url.endswith("/libraries/riverbend/statistics"), f"statistics are at {page.url}")
    main = page.locator("main").inner_text()
    run.check("Patron sign-ins" in main, "no sign-ins series")
    run.check("withheld" in main, "a small count was not said to be withheld")
    run.check(page.locator("#chart-patron_sign_ins-t + desc + rect.bar, svg rect.bar").count() >= 1, "no bar drawn for today's sign-ins")
    run.check(page.locator("main svg[role=img] title").count() >= 5, "a series has no chart title")
    run.check(page.get_by_role("link", name="Download these figures (CSV)").count() == 1, "no CSV link")
    run.here(page, "flow: library statistics")

    page.locator("#from").fill("2026-12-31")
    page.locator("#to").fill("2026-12-01")
    response = _submit(page, page.get_by_role("button", name="Show these days"))
    run.check(response.status == 400, f"a backwards range answered {response.status}")
    run.check(page.locator("#from").input_value() == "2026-12-31", "the form lost what was typed")
    run.check("From must be on or before to." in page.locator("main").inner_text(), "no reason given")
    run.here(page, "flow: library statistics refused")
    sign_out(page)

    staff_sign_in(page, base, run, "director@demo.custodian.test")
    page.locator("header").get_by_role("link", name="Statistics").click()
    page.wait_for_load_state("load")
    run.check(page.url.endswith("/director/statistics"), f"the director's statistics are at {page.url}")
    run.check("Blue Ridge" in page.locator("main").inner_text(), "a library is missing")
    run.here(page, "flow: director statistics")
    sign_out(page)


FLOWS = [statistics_for_the_admin_and_the_director]
