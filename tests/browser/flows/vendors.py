"""Flows: a library's vendor contracts (the admin adds a contract, with one
refused attempt first, creates a key shown once, and revokes it)."""

import datetime
import time

from flows._steps import sign_out, staff_sign_in


def _submit(page, button):
    """Presses `button` and waits for the page the form leads to; returns its response."""
    with page.expect_navigation(wait_until="load") as nav:
        button.click()
    return nav.value


def admin_adds_a_vendor_creates_a_key_and_revokes_it(page, base, run):
    """The admin opens Vendors from the header, adds a contract (refused once),
    creates a key, sees it once, and revokes it."""
    staff_sign_in(page, base, run, "admin.riverbend@demo.custodian.test")
    _submit(page, page.locator("header").get_by_role("link", name="Vendors", exact=True))
    run.check(page.url.endswith("/libraries/riverbend/vendors/manage"), f"Vendors led to {page.url}")
    run.here(page, "flow: vendors list")

    name = f"Books Online {int(time.time())}"
    ends = (datetime.date.today() + datetime.timedelta(days=365)).isoformat()
    form = page.locator("form", has=page.get_by_role("button", name="Add the vendor"))
    form.get_by_label("Vendor's name").fill(name)
    form.get_by_label("Service").fill("e-books")
    # Not a web address: the form comes back saying so, with what was typed.
    form.get_by_label("Privacy policy address").fill("vendor.example/privacy")
    form.get_by_label("Contract ends").fill(ends)
    form.get_by_label("The patron's name").check()
    form.get_by_label("Why the vendor checks cards").fill("patron sign-in for e-book loans")
    response = _submit(page, form.get_by_role("button", name="Add the vendor"))
    run.check(response.status == 400, f"a contract without a web address answered {response.status}")
    run.check(page.title().startswith("Error: "), f"the refused form's title is {page.title()!r}")
    run.check(page.locator("#privacy_policy_url-error").count() == 1, "no error beside the privacy policy")
    run.check(page.locator("#name").input_value() == name, "the form lost the vendor's name")
    run.check(page.locator("#field-name").is_checked(), "the form lost the ticked field")
    run.here(page, "flow: vendors add refused")

    page.locator("#privacy_policy_url").fill("https://vendor.example/privacy")
    _submit(page, page.get_by_role("button", name="Add the vendor"))
    run.check("The vendor was added." in page.locator("main").inner_text(), "no notice after adding")
    run.check(page.get_by_role("heading", level=1).inner_text().startswith(name), "not on the vendor's page")
    run.here(page, "flow: vendor added")
    vendor_url = page.url.split("?")[0]

    response = _submit(page, page.get_by_role("button", name="Create a key"))
    run.check(response.status == 201, f"creating a key answered {response.status}")
    run.check(response.headers.get("cache-control") == "no-store", "the key's page may be cached")
    key = page.locator("#new-key").inner_text()
    run.check(key.startswith("cvk_") and "." in key, f"no key shown: {key[:4]!r}")
    run.check("will not be shown again" in page.locator("main").inner_text(), "the page does not say the key is shown once")
    run.here(page, "flow: vendor key shown")
    got = page.request.post(
        base + "/api/v1/vendor/patron-status",
        headers={"Authorization": f"Bearer {key}"},
        data={"card_number": run.patron("riverbend")["card"]},
    )
    run.check(got.status == 200 and got.json().get("valid") is True, f"the new key answered {got.status}")

    _submit(page, page.get_by_role("link", name=f"Back to {name}"))
    run.check(key not in page.content(), "the vendor's page shows the key again")
    kid = key.split(".", 1)[0]
    run.here(page, "flow: vendor with a key")
    _submit(page, page.get_by_role("button", name=f"Revoke key {kid}"))
    run.check("The key was revoked" in page.locator("main").inner_text(), "no notice after revoking")
    run.check(page.get_by_role("button", name=f"Revoke key {kid}").count() == 0, "the revoked key can be revoked again")
    run.here(page, "flow: vendor key revoked")
    got = page.request.post(
        base + "/api/v1/vendor/patron-status",
        headers={"Authorization": f"Bearer {key}"},
        data={"card_number": run.patron("riverbend")["card"]},
    )
    run.check(got.status == 401, f"the revoked key answered {got.status}")
    run.check(page.url.split("?")[0] == vendor_url, f"revoking led to {page.url}")
    _submit(page, page.locator("header").get_by_role("link", name="Vendors", exact=True))
    run.check(page.get_by_role("link", name=name).count() == 1, "the new contract is not listed")
    run.here(page, "flow: vendors list with a contract")
    sign_out(page)


FLOWS = [admin_adds_a_vendor_creates_a_key_and_revokes_it]
