"""Signing in and out, as each kind of user."""

from flows._steps import patron_sign_in, sign_out, staff_sign_in


def director_lands_on_director(page, base, run):
    """The director signs in, lands on /director, sees who is signed in, signs out."""
    url = staff_sign_in(page, base, run, "director@demo.custodian.test")
    run.check(url.endswith("/director"), f"the director landed on {url}, not /director")
    run.check("Signed in as" in page.locator("header").inner_text(), "the header does not say who is signed in")
    run.here(page, "flow: director landing")
    sign_out(page)
    run.check(page.url.rstrip("/") == base, f"sign-out went to {page.url}, not home")


def admin_lands_on_library(page, base, run):
    """A library admin lands on /libraries/{slug}."""
    url = staff_sign_in(page, base, run, "admin.riverbend@demo.custodian.test")
    run.check(url.endswith("/libraries/riverbend"), f"the admin landed on {url}")
    run.here(page, "flow: library landing")


def patron_lands_on_my(page, base, run):
    """A patron signs in with library, card and PIN and lands on /my."""
    url = patron_sign_in(page, base, run, "riverbend")
    run.check(url.endswith("/my"), f"the patron landed on {url}, not /my")
    run.here(page, "flow: patron landing")
    sign_out(page)


FLOWS = [director_lands_on_director, admin_lands_on_library, patron_lands_on_my]
