"""What a signed-in user must not be able to do from their browser."""

from flows._steps import staff_sign_in


def a_form_without_its_token_is_refused(page, base, run):
    """A form posted without its CSRF token is refused (403) and changes nothing."""
    staff_sign_in(page, base, run, "admin.riverbend@demo.custodian.test")
    # As a forged cross-site form would arrive: the session cookie, no token.
    page.evaluate("() => document.querySelectorAll('input[name=csrf]').forEach(e => e.remove())")
    with page.expect_navigation(wait_until="load") as nav:
        page.locator("header").get_by_role("button", name="Sign out").click()
    status = nav.value.status if nav.value else 0
    run.check(status == 403, f"a sign-out without its token answered {status}, not 403")
    run.check("This form has expired" in page.content(), "the refusal does not say what happened")
    run.here(page, "flow: a form without its token")
    # Nothing changed: still signed in.
    resp = page.goto(base + "/libraries/riverbend", wait_until="load")
    run.check(resp.status == 200, f"after the refused sign-out the library page answered {resp.status}")


def another_librarys_pages_answer_like_none(page, base, run):
    """Riverbend's admin opening Cedar County's pages sees the page a library that does not exist gives."""
    staff_sign_in(page, base, run, "admin.riverbend@demo.custodian.test")
    texts = {}
    for slug in ("cedar-county", "no-such-library"):
        for rest in ("", "/patrons", "/staff", "/audit", "/requests"):
            resp = page.goto(f"{base}/libraries/{slug}{rest}", wait_until="load")
            run.check(resp.status == 404, f"/libraries/{slug}{rest} answered {resp.status} to riverbend's admin, not 404")
            texts.setdefault(rest, []).append(page.locator("main").inner_text())
    for rest, (other, missing) in texts.items():
        run.check(other == missing, f"/libraries/cedar-county{rest} reads differently from a library that does not exist")
    run.here(page, "flow: another library's page")


FLOWS = [a_form_without_its_token_is_refused, another_librarys_pages_answer_like_none]
