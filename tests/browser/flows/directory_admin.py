"""Flows: directory moderation, member libraries, staff management, the
library's directory entry and the audit log."""

import re
import time

from flows._steps import sign_out, staff_sign_in


def director_approves_a_directory_change(page, base, run):
    """The director opens Directory changes, approves the demo's pending change (Lakeshore's), sees it gone."""
    staff_sign_in(page, base, run, "director@demo.custodian.test")
    with page.expect_navigation(wait_until="load"):
        page.get_by_role("link", name="Directory changes").click()
    run.check(page.url.endswith("/director/moderation"), f"Directory changes led to {page.url}")
    run.here(page, "flow: directory changes")
    cards = page.locator("section.change")
    run.check(cards.count() >= 1, "no pending directory change in the demo")
    if cards.count() == 0:
        return
    lakeshore = cards.filter(has_text="Lakeshore")
    card = lakeshore.first if lakeshore.count() else cards.first
    run.check("Changed" in card.inner_text(), "the change does not mark the changed fields")
    title = card.locator("h2").inner_text()
    # Rejecting without a reason is refused beside the field.
    with page.expect_navigation(wait_until="load"):
        card.get_by_role("button", name="Reject").click()
    run.check(page.title().startswith("Error: "), f"a reason-less rejection gave {page.title()!r}")
    run.check(page.locator("[aria-invalid=true]").count() == 1, "the reason is not marked invalid")
    run.here(page, "flow: directory changes, rejection without reason")
    card = page.locator("section.change").filter(has=page.get_by_role("heading", name=title))
    with page.expect_navigation(wait_until="load"):
        card.get_by_role("button", name="Approve").click()
    run.check("approved" in page.locator("main").inner_text(), "no notice after approving")
    run.check(page.get_by_role("heading", name=title).count() == 0, "the approved change is still listed")
    run.here(page, "flow: directory changes, approved")
    sign_out(page)


def admin_adds_a_staff_member(page, base, run):
    """An admin adds a staff member, sees the one-time password, finds them in the list."""
    staff_sign_in(page, base, run, "admin.riverbend@demo.custodian.test")
    with page.expect_navigation(wait_until="load"):
        page.locator("header").get_by_role("link", name="Staff").click()
    run.check(page.url.endswith("/libraries/riverbend/staff"), f"Staff led to {page.url}")
    run.here(page, "flow: staff list")
    stamp = str(int(time.time()))
    email = f"ada.{stamp}@riverbend.example"
    form = page.locator("form", has=page.get_by_role("button", name="Add staff member"))
    form.get_by_label("Email address").fill(email)
    form.get_by_label("Name", exact=True).fill(f"Ada Reyes {stamp}")
    form.get_by_label("Role").select_option("staff")
    with page.expect_navigation(wait_until="load"):
        form.get_by_role("button", name="Add staff member").click()
    secret = page.locator("#one-time-password")
    run.check(secret.count() == 1 and len(secret.inner_text()) >= 12, "no one-time password shown")
    run.check(email in page.locator("table").inner_text(), "the new member is not in the list")
    run.here(page, "flow: staff member added")
    # The removal asks first.
    row = page.get_by_role("row").filter(has_text=email)
    row.get_by_role("link", name=re.compile("^Remove")).click()
    page.wait_for_load_state("load")
    run.here(page, "flow: staff removal confirmation")
    with page.expect_navigation(wait_until="load"):
        page.get_by_role("button", name=f"Yes, remove Ada Reyes {stamp}").click()
    run.check(email not in page.locator("main").inner_text(), "the removed member is still listed")
    # The directory entry page, with its change form.
    with page.expect_navigation(wait_until="load"):
        page.locator("header").get_by_role("link", name="Directory entry").click()
    run.here(page, "flow: directory entry")
    page.get_by_label("ZIP code").fill("12")
    with page.expect_navigation(wait_until="load"):
        page.get_by_role("button", name="Send the change for approval").click()
    run.check(page.title().startswith("Error: "), f"a bad ZIP gave {page.title()!r}")
    run.here(page, "flow: directory entry, refused")
    sign_out(page)


def custodian_reads_and_filters_the_audit_log(page, base, run):
    """The custodian of records reads the audit log (names, not ids) and filters it."""
    staff_sign_in(page, base, run, "custodian.riverbend@demo.custodian.test")
    with page.expect_navigation(wait_until="load"):
        page.locator("header").get_by_role("link", name="Audit log").click()
    run.check(page.url.endswith("/libraries/riverbend/audit"), f"Audit log led to {page.url}")
    table = page.locator("table")
    run.check(table.count() == 1, "the audit log shows no entries")
    if table.count():
        run.check("account:" not in table.inner_text(), "the log shows raw account ids")
    run.here(page, "flow: audit log")
    actions = [o for o in page.locator("#action option").all_inner_texts() if o != "Any action"]
    run.check(len(actions) > 0, "no actions to filter by")
    if actions:
        wanted = "patron.read" if "patron.read" in actions else actions[0]
        page.get_by_label("Action").select_option(wanted)
        with page.expect_navigation(wait_until="load"):
            page.get_by_role("button", name="Show entries").click()
        cells = page.locator("table tbody tr td:nth-child(3)").all_inner_texts()
        run.check(len(cells) > 0 and all(c == wanted for c in cells), f"the filter by {wanted} shows {set(cells)}")
        run.here(page, "flow: audit log filtered")
    sign_out(page)


def director_onboards_a_library(page, base, run):
    """The director onboards a library with its first admin and sees the one-time password."""
    staff_sign_in(page, base, run, "director@demo.custodian.test")
    with page.expect_navigation(wait_until="load"):
        page.get_by_role("link", name="Member libraries").click()
    run.here(page, "flow: member libraries")
    stamp = str(int(time.time()))
    page.get_by_label("Library name").fill(f"Willow Creek Library {stamp}")
    page.get_by_label("Short name (slug)").fill("riverbend")
    page.get_by_label("Jurisdiction").select_option("kansas")
    page.get_by_label("First admin's email address").fill(f"wren.{stamp}@willow.example")
    page.get_by_label("First admin's name").fill("Wren Ortiz")
    with page.expect_navigation(wait_until="load"):
        page.get_by_role("button", name="Onboard the library").click()
    run.check(page.title().startswith("Error: "), f"a taken slug gave {page.title()!r}")
    run.check(page.get_by_label("Library name").input_value().startswith("Willow Creek"), "the name typed was lost")
    run.here(page, "flow: member libraries, slug taken")
    page.get_by_label("Short name (slug)").fill(f"willow-{stamp}")
    with page.expect_navigation(wait_until="load"):
        page.get_by_role("button", name="Onboard the library").click()
    run.check(page.locator("#one-time-password").count() == 1, "no one-time password for the first admin")
    run.check(f"willow-{stamp}" in page.locator("table").inner_text(), "the new library is not listed")
    run.here(page, "flow: library onboarded")
    sign_out(page)


FLOWS = [
    director_approves_a_directory_change,
    admin_adds_a_staff_member,
    custodian_reads_and_filters_the_audit_log,
    director_onboards_a_library,
]
