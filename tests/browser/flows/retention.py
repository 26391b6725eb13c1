"""Flows: the library's retention page (an admin shortens a period, a
period past the policy is refused beside its field, the last run shows)."""

from flows._steps import sign_out, staff_sign_in


def _submit(page, button):
    """Presses `button` and waits for the page the form leads to; returns its response."""
    with page.expect_navigation(wait_until="load") as nav:
        button.click()
    return nav.value


def an_admin_sets_retention_periods(page, base, run):
    """The admin opens Retention, types a period past the policy (refused
    beside the field), then a shorter one that is saved."""
    staff_sign_in(page, base, run, "admin.riverbend@demo.custodian.test")
    _submit(page, page.locator("header").get_by_role("link", name="Retention"))
    run.check(page.url.endswith("/libraries/riverbend/retention"), f"Retention led to {page.url}")
    run.here(page, "flow: retention")
    page.locator("#holds_and_interlibrary_loans_days").fill("45")
    response = _submit(page, page.get_by_role("button", name="Save the periods"))
    run.check(response.status == 400, f"a period past the policy answered {response.status}")
    run.check(page.title().startswith("Error: "), f"the refusal's title is {page.title()!r}")
    run.check(page.locator("#holds_and_interlibrary_loans_days").input_value() == "45", "the form lost what was typed")
    run.check(page.locator("[aria-invalid=true]").count() == 1, "the refused field is not marked invalid")
    run.here(page, "flow: retention refused")
    page.locator("#holds_and_interlibrary_loans_days").fill("14")
    page.locator("#holds_and_interlibrary_loans_then").select_option("delete")
    _submit(page, page.get_by_role("button", name="Save the periods"))
    run.check("The retention periods were saved" in page.locator("main").inner_text(), "no notice after saving")
    run.check(page.locator("#holds_and_interlibrary_loans_days").input_value() == "14", "the saved period is not shown")
    run.here(page, "flow: retention saved")
    sign_out(page)


FLOWS = [an_admin_sets_retention_periods]
