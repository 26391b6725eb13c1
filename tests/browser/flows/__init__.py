"""The flows of the browser tests, one module per area of pages.

Each module has FLOWS, a list of functions `flow(page, base, run)`:
- `page` is a Playwright page, signed out (cookies cleared) at the start;
- `base` is the server, such as http://127.0.0.1:PORT;
- `run.here(page, "name")` checks the page as it is now (axe-core, reflow,
  screenshots at 1280 and 390 px): call it on every page the flow reaches;
- `run.check(ok, "what went wrong")` and `run.failures.append(...)` record a
  broken step; an exception stops the flow and is recorded with a screenshot;
- `run.password(email)` and `run.patron(slug)` give the demo's sign-ins
  (demo staff are admin.<slug>@demo.custodian.test, staff.<slug>@…,
  custodian.<slug>@… and director@demo.custodian.test).

Shared steps live in flows/_steps.py.
"""
