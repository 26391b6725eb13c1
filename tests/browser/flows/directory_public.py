"""Flow: the public directory as a member of the public uses it (#18):
members by default, all outlets near a town in miles, a library's page and
back to the same results, previous and next pages."""


def directory_near_a_town_and_back(page, base, run):
    """A visitor looks for libraries near a town, opens one, and goes back to the same results."""
    page.goto(base + "/directory", wait_until="load")
    run.check("Consortium member" in page.locator("main").inner_text(), "the members are not marked")
    run.check(page.locator("#result-count").count() == 1, "no result count on the first page")
    run.here(page, "flow: directory, members by default")
    page.get_by_label("Near").fill("Lincoln, IL")
    page.get_by_label("Within").fill("25")
    page.get_by_label("Show").select_option("false")
    with page.expect_navigation(wait_until="load"):
        page.get_by_role("button", name="Search").click()
    main = page.locator("main").inner_text()
    run.check("miles away" in main, f"no distances in miles at {page.url}")
    run.check(page.get_by_label("Near").input_value() == "Lincoln, IL", "the form lost the town")
    run.here(page, "flow: directory near a town")
    first = page.locator("ol.results li h3 a").first
    if first.count() == 0:
        run.failures.append(f"directory near a town: no results at {page.url}")
        return
    results_url = page.url
    with page.expect_navigation(wait_until="load"):
        first.click()
    run.check(page.get_by_role("link", name="map on OpenStreetMap").count() == 1, "no map link")
    run.here(page, "flow: directory library page")
    with page.expect_navigation(wait_until="load"):
        page.get_by_role("link", name="← Back to the search").click()
    run.check("near=Lincoln" in page.url, f"back led to {page.url}, not {results_url}")
    run.check(page.get_by_label("Near").input_value() == "Lincoln, IL", "back lost the search")
    # Paging: next, then previous returns to the first page.
    page.goto(base + "/directory?state=IL&member=false&limit=10", wait_until="load")
    with page.expect_navigation(wait_until="load"):
        page.get_by_role("link", name="Next page").click()
    run.check("Libraries 11–20 of" in page.locator("main").inner_text(), "the second page's count is wrong")
    run.here(page, "flow: directory second page")
    with page.expect_navigation(wait_until="load"):
        page.get_by_role("link", name="Previous page").click()
    run.check("Libraries 1–10 of" in page.locator("main").inner_text(), "previous did not return to the first page")


FLOWS = [directory_near_a_town_and_back]
