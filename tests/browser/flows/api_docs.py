"""Flow: a developer reads the API reference (#17): the page rendered from
the OpenAPI document, its areas linked from the top, one operation found and
the machine-readable document one link away."""


def developer_reads_the_api_reference(page, base, run):
    """A developer opens /api/docs, jumps to the patron area, finds an operation and its document."""
    page.goto(base + "/api/docs", wait_until="load")
    run.check(page.get_by_role("heading", name="API reference", level=1).count() == 1, "no h1 on /api/docs")
    run.check(page.get_by_role("heading", name="Authentication").count() == 1, "no authentication section")
    run.here(page, "flow: API reference")
    areas = page.get_by_role("navigation", name="API areas")
    run.check(areas.count() == 1, "no list of API areas")
    areas.get_by_role("link", name="patron", exact=True).click()
    run.check(page.url.endswith("#tag-patron"), f"the patron link led to {page.url}")
    op = page.locator("h3", has_text="GET /api/v1/patron/me/records")
    run.check(op.count() == 1, "the patron's records operation is not listed")
    section = page.locator("section.operation", has=op)
    text = section.inner_text()
    run.check("patron_cookie" in text, "the operation does not say how to authenticate")
    run.check("200" in text and "Problem" in text, "the operation does not list its answers")
    run.here(page, "flow: API reference, an operation")
    run.check(page.get_by_role("link", name="/api/v1/openapi.json").count() == 1, "no link to the document")


FLOWS = [developer_reads_the_api_reference]
