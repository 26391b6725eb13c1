"""Flow: a member library's public directory page links to its vendors and
their privacy policies (#14)."""

from flows._steps import staff_sign_in


def directory_page_links_to_the_librarys_vendors(page, base, run):
    """From the admin's directory entry to the public page, then its vendors link."""
    staff_sign_in(page, base, run, "admin.riverbend@demo.custodian.test")
    with page.expect_navigation(wait_until="load"):
        page.locator("header").get_by_role("link", name="Directory entry").click()
    with page.expect_navigation(wait_until="load"):
        page.locator("main").get_by_role("link", name="public directory").click()
    run.check("/directory/" in page.url, f"the public directory link led to {page.url}")
    run.here(page, "flow: member library's directory page")
    link = page.get_by_role("link", name="Vendors and their privacy policies")
    run.check(link.count() == 1, "the member library's directory page has no vendors link")
    if link.count() == 1:
        with page.expect_navigation(wait_until="load"):
            link.click()
        run.check(
            page.url.endswith("/libraries/riverbend/vendors"),
            f"the vendors link led to {page.url}",
        )
        run.here(page, "flow: the library's vendors, from the directory")


FLOWS = [directory_page_links_to_the_librarys_vendors]
