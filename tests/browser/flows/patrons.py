"""Flows: staff working with patrons. Staff search a patron and are stopped
until they give a purpose, read the patron (records a page at a time),
correct them and see the correction; reach the merge and delete
confirmations (nothing merged or deleted: other flows use these patrons);
another library's patron page answers like one that does not exist."""

import re
import time

from flows._steps import sign_out, staff_sign_in

STAFF = "staff.riverbend@demo.custodian.test"
OTHER = "staff.cedar-county@demo.custodian.test"
PURPOSE = "hold pickup"
PURPOSE_Q = "hold+pickup"


def _submit(page, button):
    with page.expect_navigation(wait_until="load"):
        page.get_by_role("button", name=button).click()


def _follow(page, link):
    with page.expect_navigation(wait_until="load"):
        link.click()


def _find_by_card(page, base, card):
    """Searches riverbend's patrons by card with the purpose chosen; returns the patron's id."""
    page.goto(base + "/libraries/riverbend/patrons", wait_until="load")
    page.get_by_label("Purpose", exact=True).select_option(PURPOSE)
    page.get_by_label("Card number or email address").fill(card)
    _submit(page, "Search")
    href = page.locator("table a").first.get_attribute("href") or ""
    m = re.search(r"/patrons/(\d+)", href)
    return m.group(1) if m else None


def staff_search_read_and_correct_a_patron(page, base, run):
    """Staff search by card, are stopped without a purpose, read the patron, page the records, correct the phone."""
    card = run.patron("riverbend")["card"]
    staff_sign_in(page, base, run, STAFF)
    page.goto(base + "/libraries/riverbend/patrons", wait_until="load")
    run.here(page, "flow: patron search form")

    # No purpose: refused beside the field, no patron shown, the card kept.
    page.get_by_label("Card number or email address").fill(card)
    _submit(page, "Search")
    run.check(page.title().startswith("Error: "), f"a search without a purpose is titled {page.title()!r}")
    run.check(
        page.locator("#purpose-error").count() == 1
        and page.get_by_label("Purpose", exact=True).get_attribute("aria-invalid") == "true",
        "a search without a purpose does not say so beside the purpose field",
    )
    run.check(page.locator("table").count() == 0, "patron data was shown without a purpose")
    run.check(
        page.get_by_label("Card number or email address").input_value() == card,
        "the card number typed was not kept",
    )
    run.here(page, "flow: patron search refused without a purpose")

    page.get_by_label("Purpose", exact=True).select_option(PURPOSE)
    _submit(page, "Search")
    links = page.locator("table a")
    if not run.check(links.count() == 1, f"searching card {card} found {links.count()} patrons"):
        return
    run.here(page, "flow: patron search results")
    name = links.first.inner_text().strip()
    _follow(page, links.first)
    run.check(page.locator("h1").inner_text().strip() == name, "the patron page is not the patron found")
    run.check(card in page.locator("main").inner_text(), "the patron page does not show the card number")
    run.check(f"Read for: {PURPOSE}" in page.locator("main").inner_text(), "the patron page does not say the purpose")
    run.here(page, "flow: patron page")
    patron_url = page.url

    # The same page without a purpose: the purpose form first, nothing about the patron.
    page.goto(patron_url.split("?")[0], wait_until="load")
    run.check(name not in page.locator("main").inner_text(), "a patron's page without a purpose shows their name")
    run.check(page.get_by_label("Purpose", exact=True).count() == 1, "a patron's page without a purpose does not ask for one")
    run.here(page, "flow: patron purpose form")
    page.get_by_label("Purpose", exact=True).select_option(PURPOSE)
    _submit(page, "Continue")
    run.check(page.locator("h1").inner_text().strip() == name, "choosing a purpose did not open the patron's page")

    # The records, one at a time: the second page.
    page.goto(patron_url + "&limit=1", wait_until="load")
    nxt = page.get_by_role("link", name="Next page")
    if run.check(nxt.count() == 1, "a patron's records have no next page at one a page"):
        _follow(page, nxt)
        run.check(page.get_by_role("link", name="First page").count() == 1, "page 2 of the records has no link to the first")
        run.check(page.locator("table caption", has_text="Records").count() == 1, "page 2 shows no records")
        run.here(page, "flow: patron records page 2")

    # Correct: a bad email is refused beside the field and what was typed is kept.
    page.goto(patron_url, wait_until="load")
    _follow(page, page.get_by_role("link", name=f"Correct {name}'s data"))
    run.here(page, "flow: patron correct form")
    email = page.get_by_label("Email address").input_value()
    page.get_by_label("Email address").fill("not-an-email")
    page.get_by_label("Phone", exact=True).fill("555-0177")
    _submit(page, "Save the correction")
    run.check(page.title().startswith("Error: "), f"a refused correction is titled {page.title()!r}")
    run.check(
        page.get_by_label("Email address").get_attribute("aria-invalid") == "true"
        and page.locator("#email-error").count() == 1,
        "the bad email is not refused beside its field",
    )
    run.check(page.get_by_label("Phone", exact=True).input_value() == "555-0177", "the phone typed was not kept")
    run.check(page.locator(".error-summary a[href='#email']").count() == 1, "the error summary does not link to the email field")
    run.here(page, "flow: patron correct form with error")
    page.get_by_label("Email address").fill(email)
    _submit(page, "Save the correction")
    main = page.locator("main").inner_text()
    run.check("The correction was saved." in main, "the patron page does not say the correction was saved")
    run.check("555-0177" in main, "the corrected phone is not shown")
    run.here(page, "flow: patron corrected")


def staff_reach_merge_and_delete_confirmations(page, base, run):
    """Staff list the patrons, check a merge (refused, then confirmed) and open the delete confirmation."""
    staff_sign_in(page, base, run, STAFF)
    page.goto(f"{base}/libraries/riverbend/patrons?purpose={PURPOSE_Q}&q=", wait_until="load")
    links = page.locator("table a")
    if not run.check(links.count() >= 2, "the patron list has fewer than two patrons"):
        return
    run.here(page, "flow: patron list")
    keep_href = links.nth(0).get_attribute("href")
    _follow(page, links.nth(1))
    other_card = page.locator("dl.profile dt:text-is('Card number') + dd").inner_text().strip()
    other_name = page.locator("h1").inner_text().strip()
    page.goto(base + keep_href, wait_until="load")
    name = page.locator("h1").inner_text().strip()

    # A card of no patron: refused beside the field.
    page.get_by_label("Card number of the duplicate registration").fill("00000000000000")
    _submit(page, "Check the merge")
    run.check(page.title().startswith("Error: "), f"a merge with an unknown card is titled {page.title()!r}")
    run.check(page.locator("#card-error").count() == 1, "an unknown card is not refused beside its field")
    run.here(page, "flow: patron merge refused")
    page.get_by_label("Card number of the duplicate registration").fill(other_card)
    _submit(page, "Check the merge")
    h1 = page.locator("h1").inner_text().strip()
    run.check(h1 == f"Merge {other_name} into {name}?", f"the merge confirmation reads {h1!r}")
    run.check("This cannot be undone." in page.locator("main").inner_text(), "the merge confirmation does not say it cannot be undone")
    run.check(page.get_by_role("button", name=f"Merge {other_name} into {name}").count() == 1, "no merge button")
    run.here(page, "flow: patron merge confirm")
    _follow(page, page.get_by_role("link", name=re.compile("^Cancel")))

    _follow(page, page.get_by_role("link", name=f"Delete {name}'s record"))
    h1 = page.locator("h1").inner_text().strip()
    run.check(h1 == f"Delete {name}'s record?", f"the delete confirmation reads {h1!r}")
    run.check("This cannot be undone." in page.locator("main").inner_text(), "the delete confirmation does not say it cannot be undone")
    run.here(page, "flow: patron delete confirm")
    _follow(page, page.get_by_role("link", name="Cancel and keep the record"))
    run.check(page.locator("h1").inner_text().strip() == name, "cancelling the deletion did not lead back to the patron")


def staff_read_a_child_patrons_guardian_consent(page, base, run):
    """The demo's child under 13: their page shows the guardian and the guardian's consent."""
    staff_sign_in(page, base, run, STAFF)
    page.goto(f"{base}/libraries/riverbend/patrons?purpose={PURPOSE_Q}&q=", wait_until="load")
    hrefs = [a.get_attribute("href") for a in page.locator("table a").all()]
    for href in hrefs:
        page.goto(base + href, wait_until="load")
        if page.locator("table.patrons td", has_text="Guardian's consent").count():
            run.check("In force" in page.locator("main").inner_text(), "the child's guardian's consent is not shown in force")
            run.here(page, "flow: patron page of a child with a guardian's consent")
            return
    run.failures.append("no riverbend patron's page shows a guardian's consent")


def staff_register_a_patron(page, base, run):
    """Staff register a patron: a short PIN is refused beside its field, then the patron is registered and found."""
    card = "2900199" + str(int(time.time() * 1000))[-7:]
    staff_sign_in(page, base, run, STAFF)
    page.goto(base + "/libraries/riverbend/patrons", wait_until="load")
    _follow(page, page.get_by_role("link", name="Register a new patron"))
    run.here(page, "flow: patron register form")
    page.get_by_label("Card number").fill(card)
    page.get_by_label("PIN", exact=True).fill("12")
    page.get_by_label("Full name").fill("Robin Flowtest")
    page.get_by_label("Email address").fill("robin.flowtest@example.org")
    _submit(page, "Register the patron")
    run.check(page.title().startswith("Error: "), f"a short PIN is titled {page.title()!r}")
    run.check(page.get_by_label("PIN", exact=True).get_attribute("aria-invalid") == "true", "a short PIN is not refused beside its field")
    run.check(page.get_by_label("Full name").input_value() == "Robin Flowtest", "the name typed was not kept")
    run.here(page, "flow: patron register refused")
    page.get_by_label("PIN", exact=True).fill("482913")
    _submit(page, "Register the patron")
    run.check("The patron was registered." in page.locator("main").inner_text(), "no notice after registering")
    run.here(page, "flow: patron registered")
    page.get_by_label("Purpose", exact=True).select_option("the patron's own request")
    page.get_by_label("Card number or email address").fill(card)
    _submit(page, "Search")
    run.check(page.locator("table a", has_text="Robin Flowtest").count() == 1, "the new patron is not found by card")


def another_librarys_patron_is_not_found(page, base, run):
    """Riverbend's patron under cedar-county, for riverbend's and cedar-county's staff: 404 like a missing one."""
    card = run.patron("riverbend")["card"]
    staff_sign_in(page, base, run, STAFF)
    pid = _find_by_card(page, base, card)
    if not run.check(pid is not None, "the demo patron was not found by card"):
        return
    r = page.goto(f"{base}/libraries/cedar-county/patrons/{pid}?purpose={PURPOSE_Q}", wait_until="load")
    run.check(r.status == 404, f"riverbend staff at cedar-county's patron page got {r.status}, not 404")
    run.here(page, "flow: another library's patron page")
    # The error page has no session header: sign out from a page of one's own.
    page.goto(base + "/libraries/riverbend", wait_until="load")
    sign_out(page)

    staff_sign_in(page, base, run, OTHER)
    missing = page.goto(f"{base}/libraries/cedar-county/patrons/999999999?purpose={PURPOSE_Q}", wait_until="load")
    missing_text = page.locator("main").inner_text()
    r = page.goto(f"{base}/libraries/cedar-county/patrons/{pid}?purpose={PURPOSE_Q}", wait_until="load")
    run.check(r.status == 404 and missing.status == 404, f"riverbend's patron under cedar-county got {r.status}, a missing one {missing.status}")
    run.check(page.locator("main").inner_text() == missing_text, "riverbend's patron under cedar-county reads unlike a missing patron")
    run.here(page, "flow: riverbend patron under cedar-county")


FLOWS = [
    staff_search_read_and_correct_a_patron,
    staff_reach_merge_and_delete_confirmations,
    staff_read_a_child_patrons_guardian_consent,
    staff_register_a_patron,
    another_librarys_patron_is_not_found,
]
