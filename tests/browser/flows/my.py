"""Flows: the patron's own pages under /my.

The riverbend patron only looks and turns history off (later flows sign in
as them); the blue-ridge patron changes contact data, the PIN and asks for
deletion, which change the account.
"""

import json
import urllib.parse
import urllib.request
from pathlib import Path

from flows._steps import patron_sign_in, sign_out

PURPOSE = "checking a hold for the patron"


def _api(base, method, path, token=None, body=None):
    data = json.dumps(body).encode() if body is not None else None
    req = urllib.request.Request(base + path, data=data, method=method)
    req.add_header("Accept", "application/json")
    if data is not None:
        req.add_header("Content-Type", "application/json")
    if token:
        req.add_header("Authorization", f"Bearer {token}")
    with urllib.request.urlopen(req, timeout=20) as r:
        return json.loads(r.read() or b"null")


def _staff_reads_patron(base, run, slug):
    """A staff member reads the patron through the JSON API, stating a purpose."""
    email = f"staff.{slug}@demo.custodian.test"
    token = _api(base, "POST", "/api/v1/auth/sign-in", body={"email": email, "password": run.password(email)})["token"]
    q = urllib.parse.urlencode({"card": run.patron(slug)["card"], "purpose": PURPOSE})
    found = _api(base, "GET", f"/api/v1/libraries/{slug}/patrons?{q}", token)["items"]
    run.check(len(found) == 1, f"staff search by card found {len(found)} patrons")
    pid = found[0]["id"]
    q = urllib.parse.urlencode({"purpose": PURPOSE})
    _api(base, "GET", f"/api/v1/libraries/{slug}/patrons/{pid}?{q}", token)


def _go(page, base, path):
    page.goto(base + path, wait_until="load")


def _submit(page, name):
    with page.expect_navigation(wait_until="load"):
        page.get_by_role("button", name=name).click()


def patron_reads_own_pages(page, base, run):
    """The riverbend patron sees their account, records, who saw their data
    (a staff read made just before), turns history off and downloads the export."""
    _staff_reads_patron(base, run, "riverbend")
    url = patron_sign_in(page, base, run, "riverbend")
    run.check(url.endswith("/my"), f"the patron landed on {url}, not /my")
    main = page.locator("main").inner_text()
    run.check(run.patron("riverbend")["card"] in main, "the account page does not show the card number")
    run.check("Download my data" in main, "no export link on /my")
    run.here(page, "flow: my account")

    page.get_by_role("link", name="See my records").click()
    page.wait_for_load_state("load")
    run.check(page.url.endswith("/my/records"), f"the records link led to {page.url}")
    run.here(page, "flow: my records")

    page.locator("header").get_by_role("link", name="Who saw my data").click()
    page.wait_for_load_state("load")
    log = page.locator("main").inner_text()
    run.check(PURPOSE in log, "the staff read's purpose is not in the access log")
    run.check("library staff" in log, "the access log does not say staff read the data")
    run.check("@demo.custodian.test" not in log, "the access log shows a staff email")
    run.here(page, "flow: my access log")

    _go(page, base, "/my/requests")
    run.here(page, "flow: my requests (none)")

    _go(page, base, "/my/settings")
    run.here(page, "flow: my settings")
    if page.get_by_role("button", name="Turn history off").count() == 0:
        _submit(page, "Turn history on")
    _submit(page, "Turn history off")
    run.check("Checkout history is off" in page.locator("main").inner_text(), "no notice after turning history off")
    run.check(page.get_by_role("button", name="Turn history on").count() == 1, "history still on")
    run.here(page, "flow: my settings (history off)")

    _go(page, base, "/my")
    with page.expect_download() as dl:
        page.get_by_role("link", name="Download my data").first.click()
    download = dl.value
    run.check(download.suggested_filename.endswith(".json"), f"the export is named {download.suggested_filename}")
    data = json.loads(Path(download.path()).read_text())
    run.check(
        data.get("patron", {}).get("data", {}).get("card_number") == run.patron("riverbend")["card"],
        "the export is not the patron's data",
    )
    run.check(any(e.get("purpose") == PURPOSE for e in data.get("access_log", [])), "the export lacks the staff read")
    sign_out(page)


def patron_changes_pin_and_asks_for_deletion(page, base, run):
    """The blue-ridge patron corrects contact data (a new email waits for its
    link), is refused a wrong current PIN beside the field, changes the PIN,
    signs in with it, and asks for deletion after the confirmation step."""
    who = run.patron("blue-ridge")
    patron_sign_in(page, base, run, "blue-ridge")
    _go(page, base, "/my/settings")
    page.get_by_label("Email address").fill("new.address@example.org")
    _submit(page, "Save contact data")
    run.check(
        "We sent a link to new.address@example.org; your email changes when you open it."
        in page.locator("main").inner_text(),
        "no notice about the confirmation link",
    )
    run.here(page, "flow: my settings (email link sent)")

    page.get_by_label("Current PIN", exact=True).fill("0000" if who["pin"] != "0000" else "1111")
    page.get_by_label("New PIN", exact=True).fill("97531")
    page.get_by_label("New PIN again", exact=True).fill("97531")
    _submit(page, "Change PIN")
    run.check(page.title().startswith("Error: "), f"a refused PIN change is titled {page.title()}")
    run.check(page.locator("#current_pin-error").count() == 1, "no error beside the current PIN")
    run.check(page.locator("#current_pin").get_attribute("aria-invalid") == "true", "current PIN not marked invalid")
    run.here(page, "flow: my settings (wrong PIN)")

    page.get_by_label("Current PIN", exact=True).fill(who["pin"])
    page.get_by_label("New PIN", exact=True).fill("97531")
    page.get_by_label("New PIN again", exact=True).fill("97531")
    _submit(page, "Change PIN")
    run.check(page.url.endswith("/my/pin-changed"), f"the PIN change led to {page.url}")
    run.here(page, "flow: my PIN changed")

    page.goto(base + "/my/sign-in", wait_until="load")
    page.get_by_label("Your library").select_option("blue-ridge")
    page.get_by_label("Card number").fill(who["card"])
    page.get_by_label("PIN").fill("97531")
    _submit(page, "Sign in")
    run.check(page.url.endswith("/my"), f"sign-in with the new PIN landed on {page.url}")

    _go(page, base, "/my/settings")
    page.get_by_role("link", name="Ask for deletion").click()
    page.wait_for_load_state("load")
    run.check("backup" in page.locator("main").inner_text(), "the confirmation step does not say what happens")
    run.here(page, "flow: my deletion (confirm)")
    _submit(page, "Yes, ask my library to delete my account")
    run.check(page.url.endswith("/my/requests?done=deletion"), f"the deletion request led to {page.url}")
    main = page.locator("main").inner_text()
    run.check("is filed" in main and "Delete my account" in main, "the requests page does not show the filed request")
    run.here(page, "flow: my requests (deletion filed)")
    sign_out(page)


FLOWS = [patron_reads_own_pages, patron_changes_pin_and_asks_for_deletion]
