"""Flows: the emailed requests' pages (the director's inbox and triage, a
request's page, a library's queue, dead letters, the mail ledger)."""

from flows._steps import staff_sign_in


def _submit(page, button):
    """Presses `button` and waits for the page the form leads to; returns its response."""
    with page.expect_navigation(wait_until="load") as nav:
        button.click()
    return nav.value


def director_works_the_inbox(page, base, run):
    """The director signs in, filters the inbox, opens a request, replies,
    closes it and sees the change; then opens an organizational correction,
    the dead letters and the mail ledger."""
    url = staff_sign_in(page, base, run, "director@demo.custodian.test")
    run.check(url.endswith("/director"), f"the director landed on {url}, not /director")
    run.check(page.get_by_role("heading", level=1).inner_text() == "Inbox and triage", "no inbox heading")
    run.here(page, "flow: director inbox")

    # Filter by due date: the demo's overdue request, said in words.
    page.get_by_label("Due date").select_option("overdue")
    _submit(page, page.get_by_role("button", name="Show requests"))
    run.check("due=overdue" in page.url, f"the filter did not go into the address: {page.url}")
    body = page.locator("main").inner_text()
    run.check("Overdue" in body and "Who keeps my reading history?" in body, "the overdue request is not listed as overdue")
    run.here(page, "flow: director inbox overdue")

    # Open a received request that is not overdue, reply, then close it.
    page.goto(base + "/director", wait_until="load")
    rows = page.locator("tbody tr").filter(has_text="Received").filter(has_not_text="Overdue")
    if not run.check(rows.count() > 0, "no received request to work in the inbox"):
        return
    row = rows.first
    subject = row.locator("td").nth(3).inner_text()
    _submit(page, row.get_by_role("link"))
    run.check(page.get_by_role("heading", level=1).inner_text().endswith(subject), "the request's page is not the one opened")
    run.check(page.get_by_role("heading", name="The message as received").count() == 1, "no message section")
    run.here(page, "flow: director request")
    request_url = page.url.split("?")[0]

    page.get_by_label("Your reply").fill("Thank you: we are looking into it and will answer within a week.")
    _submit(page, page.get_by_role("button", name="Send reply"))
    run.check("Reply sent." in page.locator("main").inner_text(), "no notice after the reply")
    run.check("Thank you: we are looking into it" in page.locator("ol.history").inner_text(), "the reply is not in the history")
    run.here(page, "flow: director request replied")

    page.get_by_label("Status", exact=True).select_option("done")
    page.get_by_label("Words for the closing notice").fill("Nothing about you is held beyond your library card.")
    _submit(page, page.get_by_role("button", name="Save changes"))
    main = page.locator("main").inner_text()
    run.check("Changes saved." in main, "no notice after closing")
    run.check("This request is closed" in main, "the request does not say it is closed")
    run.here(page, "flow: director request closed")

    # The list shows the change.
    page.goto(base + "/director?status=done", wait_until="load")
    done = page.locator("tbody tr").filter(has_text=subject)
    run.check(done.count() > 0 and "Done" in done.first.inner_text(), f"{subject!r} is not listed as done")
    run.here(page, "flow: director inbox done")
    page.goto(request_url, wait_until="load")

    # An organizational correction: the library's entry and the way to apply it.
    page.goto(base + "/director?status=any&queue=inbox", wait_until="load")
    org = page.locator("tbody tr").filter(has_text="Saturday hours are wrong")
    if run.check(org.count() > 0, "the demo's organizational correction is not in the inbox"):
        _submit(page, org.first.get_by_role("link"))
        run.check(page.get_by_role("link", name="its directory entry").count() > 0, "no link to the library's directory entry")
        run.check(page.get_by_role("button", name="File as a directory change").count() == 1, "no way to apply the change")
        run.here(page, "flow: director organizational correction")

    page.locator("header").get_by_role("link", name="Dead letters").click()
    page.wait_for_load_state("load")
    run.check(page.get_by_role("heading", level=1).inner_text() == "Dead letters", "no dead letters page")
    run.here(page, "flow: director dead letters")
    page.locator("header").get_by_role("link", name="Mail ledger").click()
    page.wait_for_load_state("load")
    run.check(page.locator("tbody tr").count() > 0, "the mail ledger is empty")
    run.here(page, "flow: director mail ledger")


def library_staff_read_their_queue(page, base, run):
    """Library staff open their queue and a request; a reply without the
    form's token is refused."""
    staff_sign_in(page, base, run, "staff.riverbend@demo.custodian.test")
    page.locator("header").get_by_role("link", name="Requests", exact=True).click()
    page.wait_for_load_state("load")
    run.check(page.url.endswith("/libraries/riverbend/requests"), f"the queue is at {page.url}")
    run.here(page, "flow: library queue")
    links = page.locator("tbody tr a")
    if not run.check(links.count() > 0, "the library's queue is empty"):
        return
    _submit(page, links.first)
    run.check(page.get_by_role("heading", name="The message as received").count() == 1, "no message on the request's page")
    run.check(page.locator("pre.message").count() > 0, "the message text is not shown")
    run.here(page, "flow: library request")

    # A form whose token is not the session's changes nothing.
    before = page.locator("ol.history li").count()
    page.evaluate("() => document.querySelectorAll('input[name=csrf]').forEach(e => { e.value = 'not-the-token'; })")
    page.get_by_label("Your reply").fill("This must not be sent.")
    response = _submit(page, page.get_by_role("button", name="Send reply"))
    run.check(response.status == 403, f"a reply without the token answered {response.status}, not 403")
    run.here(page, "flow: library reply without token")
    page.go_back(wait_until="load")
    page.reload(wait_until="load")
    run.check(page.locator("ol.history li").count() == before, "the refused reply changed the history")


FLOWS = [director_works_the_inbox, library_staff_read_their_queue]
