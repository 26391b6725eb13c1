"""Flow: the director corrects and retires an imported directory entry
through its pages (#18), and the entry leaves the public list."""

from flows._steps import sign_out, staff_sign_in


def director_corrects_and_retires_an_imported_outlet(page, base, run):
    """The director finds an imported outlet, corrects its phone, retires it, and the public no longer finds it."""
    staff_sign_in(page, base, run, "director@demo.custodian.test")
    with page.expect_navigation(wait_until="load"):
        page.get_by_role("link", name="Directory entries").click()
    run.check(page.url.endswith("/director/directory"), f"Directory entries led to {page.url}")
    run.here(page, "flow: director directory entries")
    page.get_by_label("Name, town or ZIP code").fill("menomonee falls")
    with page.expect_navigation(wait_until="load"):
        page.get_by_role("button", name="Find entries").click()
    run.here(page, "flow: director directory entries found")
    first = page.locator("ul.results li a").first
    if first.count() == 0:
        run.failures.append(f"director directory: nothing found at {page.url}")
        return
    with page.expect_navigation(wait_until="load"):
        first.click()
    entry_url = page.url.split("?")[0]
    run.check("Imported from the survey" in page.locator("main").inner_text(), "no history on the entry's page")
    run.here(page, "flow: director directory entry")
    page.get_by_label("Telephone").fill("262-555-0142")
    with page.expect_navigation(wait_until="load"):
        page.get_by_role("button", name="Publish the correction").click()
    run.check("published" in page.locator("main").inner_text(), "no notice after the correction")
    # A retirement without a reason is refused beside the field.
    with page.expect_navigation(wait_until="load"):
        page.get_by_role("button", name="Retire this entry").click()
    run.check(page.title().startswith("Error: "), f"a reason-less retirement gave {page.title()!r}")
    run.check(page.locator("#reason[aria-invalid=true]").count() == 1, "the reason is not marked invalid")
    run.here(page, "flow: director directory retirement without reason")
    page.get_by_label("Why it is retired").fill("closed (browser test)")
    with page.expect_navigation(wait_until="load"):
        page.get_by_role("button", name="Retire this entry").click()
    run.check("no longer listed" in page.locator("main").inner_text(), "no notice after retiring")
    run.here(page, "flow: director directory entry retired")
    entry_id = entry_url.rstrip("/").rsplit("/", 1)[-1]
    page.goto(base + "/directory?q=menomonee+falls&member=false&limit=200", wait_until="load")
    run.check(
        page.locator(f"a[href='/directory/{entry_id}'], a[href^='/directory/{entry_id}?']").count() == 0,
        "the retired outlet is still in the public list",
    )
    # The public directory shows no staff header; sign out where there is one.
    page.goto(base + "/director/directory", wait_until="load")
    sign_out(page)


FLOWS = [director_corrects_and_retires_an_imported_outlet]
