"""Flows: the legal-request register (staff register a request, the
custodian of records decides, downloads the package, records time, opens
the invoice and the yearly count)."""

import re

from flows._steps import sign_out, staff_sign_in


def _submit(page, button):
    """Presses `button` and waits for the page the form leads to; returns its response."""
    with page.expect_navigation(wait_until="load") as nav:
        button.click()
    return nav.value


def _a_patron(page, base):
    """The number of riverbend's first patron, read from the patron list."""
    page.goto(base + "/libraries/riverbend/patrons?purpose=hold+pickup", wait_until="load")
    href = page.locator("main table a").first.get_attribute("href")
    return re.search(r"/patrons/(\d+)", href).group(1)


def a_legal_request_from_the_desk_to_the_invoice(page, base, run):
    """Staff register a court order; the custodian decides it, downloads the
    package, records time, opens the invoice and the year's count."""
    staff_sign_in(page, base, run, "staff.riverbend@demo.custodian.test")
    patron = _a_patron(page, base)
    page.goto(base + "/libraries/riverbend", wait_until="load")
    page.locator("header").get_by_role("link", name="Legal requests").click()
    page.wait_for_load_state("load")
    run.check(page.url.endswith("/libraries/riverbend/legal"), f"the register is at {page.url}")
    run.here(page, "flow: legal register")
    _submit(page, page.get_by_role("link", name="Register a request"))
    run.here(page, "flow: legal register form")

    page.locator("#instrument").select_option("court_order")
    page.locator("#requester_name").fill("Det. Ray")
    page.locator("#requester_agency").fill("Greene County Sheriff")
    page.locator("#court").fill("31st Judicial Circuit")
    page.locator("#case_number").fill("26-CR-0412")
    page.locator("#good_cause_shown").check()
    page.locator("#patron_ids").fill(patron)
    # No kind ticked: the form comes back saying so, with what was typed.
    response = _submit(page, page.get_by_role("button", name="Register the request"))
    run.check(response.status == 400, f"a request without kinds answered {response.status}")
    run.check(page.locator("#requester_agency").input_value() == "Greene County Sheriff", "the form lost what was typed")
    run.here(page, "flow: legal register form refused")
    page.locator("#kind-circulation").check()
    _submit(page, page.get_by_role("button", name="Register the request"))
    run.check("The request was registered." in page.locator("main").inner_text(), "no notice after registering")
    run.check(page.locator("form[action$='/decision']").count() == 0, "staff were shown the Decide form")
    run.here(page, "flow: legal request registered")
    request_url = page.url.split("?")[0]

    # The desk attaches the order as served: a Word file is refused with what
    # to send instead, then the PDF scan is attached.
    page.locator("#file").set_input_files(files=[{"name": "order.docx", "mimeType": "application/vnd.openxmlformats-officedocument.wordprocessingml.document", "buffer": b"PK\x03\x04"}])
    response = _submit(page, page.get_by_role("button", name="Attach the document"))
    run.check(response.status == 415, f"a Word file answered {response.status}")
    run.check("scan a paper order to PDF" in page.locator("#file-error").inner_text(), "no reason beside the file field")
    run.here(page, "flow: legal document refused")
    page.locator("#file").set_input_files(files=[{"name": "order.pdf", "mimeType": "application/pdf", "buffer": b"%PDF-1.4\n% a scanned order\n"}])
    _submit(page, page.get_by_role("button", name="Attach the document"))
    run.check("The document was attached" in page.locator("main").inner_text(), "no notice after attaching")
    run.check(page.get_by_role("link", name="order.pdf").count() == 0, "the desk was offered the document to open")
    run.here(page, "flow: legal document attached")
    sign_out(page)

    staff_sign_in(page, base, run, "custodian.riverbend@demo.custodian.test")
    page.goto(request_url, wait_until="load")
    run.check("What the policy decides" in page.locator("main").inner_text(), "no reasoning for the custodian")
    run.here(page, "flow: legal request to decide")
    doc = page.get_by_role("link", name="order.pdf").get_attribute("href")
    got = page.request.get(base + doc)
    run.check(got.status == 200 and got.body().startswith(b"%PDF"), f"the custodian's download answered {got.status}")
    _submit(page, page.get_by_role("button", name=re.compile("^Decide")))
    main = page.locator("main").inner_text()
    run.check("Allowed" in main, "the court order with good cause was not allowed")
    run.here(page, "flow: legal request decided")
    csv = page.get_by_role("link", name="Download the package as CSV").get_attribute("href")
    got = page.request.get(base + csv)
    run.check(got.status == 200 and got.headers.get("content-type", "").startswith("text/csv"), f"the CSV package answered {got.status}")

    page.locator("#minutes").fill("90")
    page.locator("#what").fill("Searching the circulation records")
    _submit(page, page.get_by_role("button", name="Record the time"))
    run.check("The time was recorded" in page.locator("main").inner_text(), "no notice after recording time")
    run.here(page, "flow: legal request time recorded")
    _submit(page, page.get_by_role("link", name="Open the invoice (printable)"))
    run.check("Total due" in page.locator("main").inner_text(), "the invoice has no total")
    run.here(page, "flow: legal invoice")

    page.goto(base + "/libraries/riverbend/legal/counts", wait_until="load")
    run.check(page.locator("tfoot td").first.inner_text() != "0", "the year's count shows no request")
    run.here(page, "flow: legal counts")


FLOWS = [a_legal_request_from_the_desk_to_the_invoice]
