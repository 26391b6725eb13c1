#!/usr/bin/env python3
"""Drive the pages of a running custodian in headless Chromium.

Usage: drive.py BASE_URL [--shots DIR] [--label NAME] [--accounts FILE] [--only NAME]
       drive.py --check      (only: are Playwright, Chromium and axe-core here?)

For every page, at 1280 and at 390 px wide: load it, inject axe-core (read from
tests/browser/node_modules, never fetched), run it, save a full-page
screenshot, and print one line: path, width, axe violations by impact, HTML
bytes. Fails (exit 1) on any serious or critical violation, on any request
that would leave 127.0.0.1, or when Tab from the top does not reach the skip
link first or the skip link does not move focus to <main>, or a Tab stop
shows no focus outline. Then the flows (forms driven as a user would) run in
the same browser, each with its cookies cleared first, checking every page
they reach the same way. A public page adds its path to PAGES; a signed-in
page is reached by a flow in tests/browser/flows/<area>.py (each module's
FLOWS list; see flows/__init__.py for what a flow gets).

Exit codes: 0 all passed, 1 a check failed, 2 the browser or axe-core is
missing (the Rust test tells "skip" from "fail" by it).
"""

import argparse
import importlib
import json
import os
import re
import sys
import tempfile
import urllib.parse
from pathlib import Path

HERE = Path(__file__).resolve().parent
AXE = HERE / "node_modules" / "axe-core" / "axe.min.js"
CHROMIUM = os.environ.get("CUSTODIAN_TEST_CHROMIUM", "/usr/bin/chromium")
# The flags keep Chromium from phoning home (updates, safe browsing, field
# trials) so the "nothing leaves loopback" check tests the pages, not the browser.
ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--no-first-run",
]
WIDTHS = (1280, 390)
# Impacts that fail the run; minor and moderate are printed, not fatal.
FATAL = ("serious", "critical")
IMPACTS = ("critical", "serious", "moderate", "minor")

# A directory entry page is found by following the first entry link of the
# results page before it, so the driver needs no knowledge of ids.
RESULTS = "/directory?q=public+library"
ENTRY = "<first entry of the results>"
PAGES = [
    ("/", 200),
    ("/directory", 200),
    (RESULTS, 200),
    ("/directory?zip=not-a-zip", None),
    (ENTRY, 200),
    ("/requests/confirm/not-a-real-link", None),
    ("/no-such-page", 404),
    ("/sign-in", 200),
    ("/my/sign-in", 200),
]


def missing(why):
    print(f"browser tests unavailable: {why}", file=sys.stderr)
    sys.exit(2)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("base", nargs="?")
    ap.add_argument("--check", action="store_true", help="only check the prerequisites")
    ap.add_argument("--shots", default=None, help="directory for the screenshots")
    ap.add_argument("--label", default="", help="prefix for screenshot names (the backend)")
    ap.add_argument("--accounts", default=None, help="JSON of the demo's sign-ins (the test harness writes it)")
    ap.add_argument("--only", default=None, help="run only the flows whose name contains this (and no PAGES)")
    opts = ap.parse_args()
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:
        missing("Playwright for Python is not installed (python3 -m pip install playwright)")
    if not os.access(CHROMIUM, os.X_OK):
        missing(f"{CHROMIUM} is missing (apt-get install chromium)")
    if not AXE.is_file():
        missing(f"{AXE} is missing (npm ci --prefix tests/browser)")
    axe_source = AXE.read_text(encoding="utf-8")
    if opts.check:
        print(f"Playwright, {CHROMIUM} and {AXE.relative_to(HERE)} are here")
        return 0
    if not opts.base:
        ap.error("give the server's base URL, e.g. http://127.0.0.1:8080")
    base = opts.base.rstrip("/")
    host = urllib.parse.urlsplit(base).hostname
    if host != "127.0.0.1":
        print(f"the base URL must be on 127.0.0.1, not {host}", file=sys.stderr)
        return 1

    shots = Path(opts.shots) if opts.shots else HERE.parent.parent / "target" / "browser-shots"
    shots.mkdir(parents=True, exist_ok=True)
    failures = []
    leaks = []
    accounts = json.loads(Path(opts.accounts).read_text()) if opts.accounts else {"staff": {}, "patrons": {}}
    run = Run(axe_source, shots, f"{opts.label}-" if opts.label else "", failures, accounts, base)

    def guard(route):
        # Everything not on the server's loopback address is refused and
        # recorded: a page must not load fonts, scripts or beacons from elsewhere.
        url = route.request.url
        parts = urllib.parse.urlsplit(url)
        if parts.scheme in ("data", "blob", "about") or parts.hostname == "127.0.0.1":
            route.continue_()
        else:
            leaks.append(url)
            route.abort()

    with tempfile.TemporaryDirectory(prefix="custodian-chromium-") as profile, sync_playwright() as pw:
        ctx = pw.chromium.launch_persistent_context(
            profile,
            executable_path=CHROMIUM,
            headless=True,
            args=ARGS,
            viewport={"width": WIDTHS[0], "height": 900},
        )
        ctx.route("**/*", guard)
        page = ctx.pages[0] if ctx.pages else ctx.new_page()
        current = {"path": "/"}

        def on_console(msg):
            # A CSP refusal means a page carries inline style or script, which
            # the CSP forbids and users would see broken.
            if msg.type == "error" and "Content Security Policy" in msg.text:
                failures.append(f"{current['path']}: {msg.text}")

        def on_response(resp):
            # A page's own stylesheet or images must load; the page itself may
            # be a 4xx on purpose (checked against PAGES), the favicon is the
            # browser's guess.
            if resp.request.resource_type != "document" and resp.status >= 400 and not resp.url.endswith("/favicon.ico"):
                failures.append(f"{current['path']}: {resp.url} answered {resp.status}")

        page.on("console", on_console)
        page.on("response", on_response)
        entry_path = None
        for path, want_status in ([] if opts.only else PAGES):
            if path == ENTRY:
                if entry_path is None:
                    failures.append(f"{RESULTS} links to no entry page (does the directory have entries?)")
                    continue
                path = entry_path
            current["path"] = path
            for width in WIDTHS:
                page.set_viewport_size({"width": width, "height": 900})
                resp = page.goto(base + path, wait_until="load")
                status = resp.status if resp else 0
                html = resp.body() if resp else b""
                if want_status is not None and status != want_status:
                    failures.append(f"{path} at {width}px: status {status}, expected {want_status}")
                ctype = resp.headers.get("content-type", "") if resp else ""
                if not ctype.startswith("text/html"):
                    failures.append(f"{path} at {width}px: content-type {ctype!r}, a browser should get an HTML page")
                if path == RESULTS and entry_path is None:
                    href = page.evaluate(
                        "() => { const a = [...document.querySelectorAll('main a[href^=\"/directory/\"]')]"
                        ".find(a => !/\\/directory\\/libraries/.test(a.getAttribute('href')));"
                        " return a ? a.getAttribute('href') : null; }"
                    )
                    entry_path = href
                if not ctype.startswith("text/html"):
                    print(f"{path:<40} {width:>4}px  status {status}  not HTML ({ctype}): not checked further")
                    continue
                run.audit(page, path, width, status, len(html))
                if width == WIDTHS[0]:
                    failures.extend(keyboard(page, base + path, path))
        for flow in all_flows():
            if opts.only and opts.only not in flow.__name__:
                continue
            current["path"] = flow.__name__
            # Each flow starts signed out, whoever the last one signed in as.
            ctx.clear_cookies()
            page.set_viewport_size({"width": WIDTHS[0], "height": 900})
            try:
                flow(page, base, run)
            except Exception as e:  # a step that timed out or found no element
                failures.append(f"flow {flow.__name__} stopped at {page.url}: {type(e).__name__}: {e}")
                name = re.sub(r"[^A-Za-z0-9]+", "_", flow.__name__)
                page.screenshot(path=str(shots / f"{run.prefix}FAILED-{name}.png"), full_page=True)
        ctx.close()

    for url in leaks:
        failures.append(f"a request tried to leave 127.0.0.1: {url}")
    if failures:
        print(f"\n{len(failures)} browser check(s) failed:", file=sys.stderr)
        for f in failures:
            print(f"  FAIL {f}", file=sys.stderr)
        return 1
    print(f"all browser checks passed; screenshots in {shots}")
    return 0


class Run:
    """The checks every page gets, and where their results go."""

    def __init__(self, axe_source, shots, prefix, failures, accounts, base):
        self.axe_source = axe_source
        self.shots = shots
        self.prefix = prefix
        self.failures = failures
        # {"staff": {email: password}, "patrons": {slug: {"card": .., "pin": ..}}}
        self.accounts = accounts
        self.base = base

    def password(self, email):
        """The demo password printed for `email` at first start."""
        return self.accounts["staff"][email]

    def patron(self, slug):
        """The demo patron printed for the library `slug`: {"card": .., "pin": ..}."""
        return self.accounts["patrons"][slug]

    def check(self, ok, what):
        """Records `what` as a failure unless `ok`; returns `ok`."""
        if not ok:
            self.failures.append(what)
        return ok

    def here(self, page, name):
        """Check the page a flow is on, at every width, without reloading it
        (it may be the answer to a POST): for flows, after each step."""
        html = len(page.content().encode("utf-8"))
        for width in WIDTHS:
            page.set_viewport_size({"width": width, "height": 900})
            self.audit(page, name, width, "-", html)
        page.set_viewport_size({"width": WIDTHS[0], "height": 900})
        # Keyboard alone, on the page as it is (it may be a POST's answer, so
        # it is not reloaded): from the skip link, every Tab stop shows focus.
        has_skip = page.evaluate(
            "() => { const s = document.querySelector('a.skip'); if (!s) return false; s.focus(); return document.activeElement === s; }"
        )
        if not has_skip:
            self.failures.append(f"{name}: no skip link to start the keyboard from")
        else:
            self.failures.extend(tab_walk(page, name))

    def audit(self, page, path, width, status, html_bytes):
        """axe-core, reflow and a screenshot of the page as it is now; one line printed."""
        failures = self.failures
        # axe-core is read from disk and evaluated through the DevTools
        # protocol, never fetched. Not add_script_tag: an inline <script>
        # is refused by the page's CSP (script-src 'self'), and the CSP
        # must stay on so the pages are checked as users get them.
        page.evaluate(self.axe_source)
        result = page.evaluate("async () => await axe.run(document, {resultTypes: ['violations']})")
        counts = {k: 0 for k in IMPACTS}
        for v in result["violations"]:
            counts[v.get("impact") or "minor"] += 1
            if v.get("impact") in FATAL:
                nodes = "; ".join(
                    " ".join(n.get("target", [])) if isinstance(n.get("target"), list) else str(n.get("target"))
                    for n in v["nodes"][:5]
                )
                failures.append(
                    f"{path} at {width}px: axe {v['impact']} {v['id']}: {v['help']} ({v['helpUrl']}) at {nodes}"
                )
            elif v.get("impact"):
                print(f"  note {path} at {width}px: axe {v['impact']} {v['id']}: {v['help']}")
        # WCAG 1.4.10 (reflow): at 390 px nothing may need sideways scrolling.
        overflow = page.evaluate(
            "() => document.documentElement.scrollWidth - document.documentElement.clientWidth"
        )
        if overflow > 0:
            failures.append(f"{path} at {width}px: the page is {overflow}px wider than the window (sideways scrolling)")
        name = re.sub(r"[^A-Za-z0-9]+", "_", path).strip("_") or "home"
        page.screenshot(path=str(self.shots / f"{self.prefix}{name}-{width}.png"), full_page=True)
        by_impact = " ".join(f"{k}={counts[k]}" for k in IMPACTS)
        print(f"{path:<40} {width:>4}px  status {status}  axe {by_impact}  html {html_bytes} bytes")


# Flows that sign in and submit forms, run after PAGES in the same browser:
# each is a function (page, base_url, run) that drives `page` with Playwright
# and calls `run.here(page, "a name")` on every page it reaches; it records a
# broken step with `run.failures.append("...")`.


def directory_search_by_keyboard(page, base, run):
    """A visitor types a name into the directory's form and presses Enter."""
    page.goto(base + "/directory", wait_until="load")
    page.get_by_label("Name or words").fill("public library")
    with page.expect_navigation(wait_until="load"):
        page.keyboard.press("Enter")
    hits = page.locator("ol.results li").count()
    if hits == 0:
        run.failures.append(f"directory search by keyboard: no results at {page.url}")
    if "q=public+library" not in page.url:
        run.failures.append(f"directory search by keyboard: the form sent {page.url}")
    run.here(page, "flow: directory search by keyboard")


FLOWS = [directory_search_by_keyboard]


def all_flows():
    """The flows above, then every module's FLOWS in tests/browser/flows/, by file name."""
    flows = list(FLOWS)
    sys.path.insert(0, str(HERE))
    for f in sorted((HERE / "flows").glob("*.py")):
        if f.name.startswith("_"):
            continue
        flows.extend(importlib.import_module(f"flows.{f.stem}").FLOWS)
    return flows


def keyboard(page, url, path):
    """Tab from the top reaches the skip link first; Enter moves focus to <main>."""
    page.goto(url, wait_until="load")
    page.keyboard.press("Tab")
    first = page.evaluate(
        "() => { const e = document.activeElement;"
        " return e ? {tag: e.tagName, cls: e.className, href: e.getAttribute('href'), text: e.textContent.trim()} : null; }"
    )
    if not first or first["tag"] != "A" or not (first["href"] or "").startswith("#"):
        return [f"{path}: the first Tab stop is {first}, not the skip link"]
    visible = page.evaluate(
        "() => { const r = document.activeElement.getBoundingClientRect();"
        " return r.width > 1 && r.height > 1 && r.top >= 0 && r.left >= 0; }"
    )
    out = []
    if not visible:
        out.append(f"{path}: the skip link is not visible when it has focus")
    page.keyboard.press("Enter")
    landed = page.evaluate(
        "() => { const e = document.activeElement; return e ? e.tagName : null; }"
    )
    if landed != "MAIN":
        out.append(f"{path}: the skip link moved focus to {landed}, not <main>")
    out.extend(focus_visible(page, url, path))
    return out


# Enough Tab presses for the longest page today (a page of directory results);
# a page with more stops is still checked up to here.
MAX_TABS = 80
FOCUS_STYLE = """() => {
  const e = document.activeElement;
  if (!e || e === document.body) return null;
  // Marked, not compared by name: two links may look alike.
  if (e.dataset.browserTestSeen) return {repeat: true};
  e.dataset.browserTestSeen = '1';
  const s = getComputedStyle(e);
  const outline = s.outlineStyle !== 'none' && parseFloat(s.outlineWidth) > 0;
  const r = e.getBoundingClientRect();
  return {
    name: e.tagName.toLowerCase() + (e.id ? '#' + e.id : '') + (e.getAttribute('href') ? '[href=' + e.getAttribute('href') + ']' : ''),
    visible: outline || s.boxShadow !== 'none',
    seen: r.width > 0 && r.height > 0,
  };
}"""


def focus_visible(page, url, path):
    """Every Tab stop shows where focus is (WCAG 2.4.7) and Tab goes through the page."""
    page.goto(url, wait_until="load")
    return tab_walk(page, path)


def tab_walk(page, path):
    """Tab from where focus is now until it leaves the page or comes round again."""
    out = []
    for _ in range(MAX_TABS):
        page.keyboard.press("Tab")
        stop = page.evaluate(FOCUS_STYLE)
        if stop is None:
            break  # focus left the document's last stop: no trap
        if stop.get("repeat"):
            break  # back at a stop already checked: Tab went all the way round
        key = stop["name"]
        if not stop["seen"]:
            out.append(f"{path}: the Tab stop {key} has focus but no size on screen")
        elif not stop["visible"]:
            out.append(f"{path}: the Tab stop {key} shows no focus outline")
    return out


if __name__ == "__main__":
    sys.exit(main())
