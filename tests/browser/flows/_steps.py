"""Steps several flows take: signing in as someone, and the form token."""


def staff_sign_in(page, base, run, email):
    """Signs in at /sign-in as the demo account `email`; returns the page's URL after it."""
    page.goto(base + "/sign-in", wait_until="load")
    page.get_by_label("Email address").fill(email)
    page.get_by_label("Password").fill(run.password(email))
    with page.expect_navigation(wait_until="load"):
        page.get_by_role("button", name="Sign in").click()
    return page.url


def patron_sign_in(page, base, run, slug):
    """Signs in at /my/sign-in as the demo patron of the library `slug`."""
    who = run.patron(slug)
    page.goto(base + "/my/sign-in", wait_until="load")
    page.get_by_label("Your library").select_option(slug)
    page.get_by_label("Card number").fill(who["card"])
    page.get_by_label("PIN").fill(who["pin"])
    with page.expect_navigation(wait_until="load"):
        page.get_by_role("button", name="Sign in").click()
    return page.url


def sign_out(page):
    """Presses the header's sign-out button."""
    with page.expect_navigation(wait_until="load"):
        page.locator("header").get_by_role("button", name="Sign out").click()
