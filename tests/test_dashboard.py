"""The dashboard (``/_mock/ui``) in a real browser: Debian's Chromium through Playwright.

Against a real server (``mockserver serve`` in a subprocess): a request sent after the page
loaded shows up in the live list and its detail names the rule that fired; an invalid
scenario applied from the page shows its problem at its line and changes nothing; a tenant
reset from the page is reset; no request of the page leaves 127.0.0.1. Each view is saved
as a screenshot in tests/screenshots/ (git-ignored) for people to look at.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import TYPE_CHECKING, Any

import httpx
import pytest
from browser import chromium, confine, screenshot

if TYPE_CHECKING:
    from playwright.sync_api import Browser, Page

BASE = "/Lemonsoft30"
WAIT_MS = 20_000  # generous: the machine may be busy; the list normally updates at once
RULE = """\
name: dashboard-test
rules:
  - name: customer-lookup-down
    match: {method: GET, path: "/api/customers/{customer_id}"}
    error: 503
"""
INVALID = """\
name: broken
rules:
  - name: no-effect
    match: {method: GET, path: /api/customers}
    error: 503
  - name: typo
    match: {method: GET, path: /api/customers}
    eror: 500
"""


@pytest.fixture(scope="module")
def browser() -> Iterator[Browser]:
    with chromium() as launched:
        yield launched


@pytest.fixture
def server(start_server: Any) -> Any:
    return start_server("--customers", "20", "--invoices", "40", "--base-path", BASE)


@pytest.fixture
def page(browser: Browser, server: Any) -> Iterator[tuple[Page, list[str]]]:
    context = browser.new_context(viewport={"width": 1280, "height": 800})
    opened = context.new_page()
    left = confine(opened, server.base_url)
    errors: list[str] = []
    opened.on("pageerror", lambda error: errors.append(str(error)))
    yield opened, left
    context.close()
    assert errors == []  # no script error on any view
    assert left == []  # nothing the page loaded or sent left the server under test


def _open(page: Page, server: Any, view: str = "requests") -> None:
    from playwright.sync_api import expect

    page.goto(f"{server.base_url}/_mock/ui#{view}")
    expect(page.locator("#stream-status")).to_have_text("live", timeout=WAIT_MS)


def test_a_new_request_appears_live_with_its_rule(
    page: tuple[Page, list[str]], server: Any
) -> None:
    from playwright.sync_api import expect

    tab, _ = page
    api = server.base_url + BASE
    put = httpx.put(
        server.base_url + "/_mock/scenario",
        content=RULE,
        headers={"Content-Type": "application/yaml"},
        timeout=10,
    )
    assert put.status_code == 200
    _open(tab, server)
    answer = httpx.get(api + "/api/customers/3", headers={"X-Mock-Tenant": "acme"}, timeout=10)
    assert answer.status_code == 503
    row = tab.locator("#request-rows tr", has_text="/api/customers/3")
    expect(row).to_have_count(1, timeout=WAIT_MS)
    expect(row).to_contain_text("503")
    expect(row).to_contain_text("acme")
    row.click()
    expect(tab.locator("#detail-rules")).to_have_text("customer-lookup-down")
    expect(tab.locator("#detail-facts")).to_contain_text(
        "GET " + BASE + "/api/customers/3 HTTP/1.1"
    )
    expect(tab.locator("#detail-headers")).to_contain_text("x-mock-tenant")
    assert "curl" in tab.locator("#detail-curl").input_value()
    assert f"{BASE}/api/customers/3" in tab.locator("#detail-curl").input_value()
    screenshot(tab, "requests")

    # Filters: another tenant's request is hidden when filtering by tenant.
    httpx.get(api + "/api/invoices", headers={"X-Mock-Tenant": "other"}, timeout=10)
    expect(tab.locator("#request-rows tr", has_text="/api/invoices")).to_have_count(
        1, timeout=WAIT_MS
    )
    tab.select_option("#f-tenant", "acme")
    expect(tab.locator("#request-rows tr", has_text="/api/invoices")).to_have_count(0)
    expect(tab.locator("#request-rows tr", has_text="/api/customers/3")).to_have_count(1)
    tab.select_option("#f-tenant", "")

    tab.click("#tab-traffic")
    expect(tab.locator("#latency-summary")).to_contain_text("requests in the last 5 minutes")
    screenshot(tab, "traffic")


def test_an_invalid_scenario_shows_its_problem_at_its_line_and_changes_nothing(
    page: tuple[Page, list[str]], server: Any
) -> None:
    from playwright.sync_api import expect

    tab, _ = page
    before = httpx.get(server.base_url + "/_mock/scenario", timeout=10).json()
    _open(tab, server, "scenario")
    expect(tab.locator("#scenario-list li", has_text="flaky-5xx")).to_have_count(1, timeout=WAIT_MS)
    tab.fill("#scenario-text", INVALID)
    # checked as you type: the problem is listed with its line, and the gutter marks it
    problem = tab.locator("#scenario-problems li[data-line='8']")
    expect(problem).to_contain_text("line 8", timeout=WAIT_MS)
    expect(problem).to_contain_text("eror")
    expect(tab.locator("#gutter .bad[data-line='8']")).to_have_count(1)
    tab.click("#scenario-apply")
    expect(tab.locator("#scenario-state")).to_contain_text("nothing changed", timeout=WAIT_MS)
    expect(tab.locator("#scenario-problems li[data-line='8']")).to_contain_text("eror")
    assert httpx.get(server.base_url + "/_mock/scenario", timeout=10).json() == before
    screenshot(tab, "scenario")

    # One click applies a named scenario.
    tab.click("button[aria-label='Apply flaky-5xx']")
    expect(tab.locator("#scenario-state")).to_contain_text("applied flaky-5xx", timeout=WAIT_MS)
    assert httpx.get(server.base_url + "/_mock/scenario", timeout=10).json()["name"] == "flaky-5xx"
    tab.click("#scenario-clear")
    expect(tab.locator("#scenario-state")).to_contain_text("cleared", timeout=WAIT_MS)
    assert httpx.get(server.base_url + "/_mock/scenario", timeout=10).json()["active"] is False


def test_resetting_a_tenant_from_the_page_resets_it(
    page: tuple[Page, list[str]], server: Any
) -> None:
    from playwright.sync_api import expect

    tab, _ = page
    api = server.base_url + BASE + "/api"
    headers = {"X-Mock-Tenant": "acme"}
    customer = httpx.get(api + "/customers/2", headers=headers, timeout=10).json()
    customer["name"] = "Renamed Oy"
    written = httpx.put(api + "/customers/2", json=customer, headers=headers, timeout=10)
    assert written.status_code == 200
    assert (
        httpx.get(api + "/customers/2", headers=headers, timeout=10).json()["name"] == "Renamed Oy"
    )

    _open(tab, server, "tenants")
    writes = tab.locator("#tenant-rows tr[data-tenant='acme'] td").nth(2)
    expect(writes).to_have_text("1", timeout=WAIT_MS)
    screenshot(tab, "tenants")
    tab.click("button[aria-label='Reset tenant acme']")
    expect(tab.locator("#tenants-summary")).to_contain_text("reset acme", timeout=WAIT_MS)
    after = httpx.get(api + "/customers/2", headers=headers, timeout=10).json()
    assert after["name"] != "Renamed Oy"
    tenants = httpx.get(server.base_url + "/_mock/tenants", timeout=10).json()["tenants"]
    assert [t["writes"] for t in tenants if t["name"] == "acme"] in ([], [0])

    # Data: the tenant's customers through the API's own paging, kept out of the journal.
    tab.click("#tab-data")
    tab.fill("#d-tenant", "acme")
    tab.fill("#d-size", "5")
    tab.click("#data-form button[type=submit]")
    expect(tab.locator("#data-table tbody tr")).to_have_count(5, timeout=WAIT_MS)
    expect(tab.locator("#data-summary")).to_contain_text("5 on page 1")
    screenshot(tab, "data")

    tab.click("#tab-clock")
    expect(tab.locator("#clock-now, #clock-state")).not_to_have_text(
        ["\N{EN DASH}", ""], timeout=WAIT_MS
    )
    screenshot(tab, "clock")


def test_narrow_window_and_keyboard(browser: Browser, server: Any) -> None:
    from playwright.sync_api import expect

    context = browser.new_context(viewport={"width": 420, "height": 800})
    tab = context.new_page()
    left = confine(tab, server.base_url)
    try:
        tab.goto(f"{server.base_url}{BASE}/_mock/ui")
        expect(tab.locator("#stream-status")).to_have_text("live", timeout=WAIT_MS)
        tab.focus("#tab-requests")
        tab.keyboard.press("ArrowRight")
        expect(tab.locator("#tab-traffic")).to_be_focused()
        expect(tab.locator("#view-traffic")).to_be_visible()
        tab.keyboard.press("End")
        expect(tab.locator("#view-clock")).to_be_visible()
        tab.keyboard.press("Home")
        httpx.get(server.base_url + BASE + "/api/customers", timeout=10)
        row = tab.locator("#request-rows tr", has_text=f"{BASE}/api/customers")
        expect(row).to_have_count(1, timeout=WAIT_MS)
        row.focus()
        tab.keyboard.press("Enter")
        expect(tab.locator("#detail")).to_be_visible()
        # every form control has a label
        unlabelled = tab.evaluate(
            "[...document.querySelectorAll('input, select, textarea')]"
            ".filter(e => !e.labels.length && !e.getAttribute('aria-label')).map(e => e.id)"
        )
        assert unlabelled == []
        screenshot(tab, "narrow")
        loaded = tab.evaluate(
            "performance.getEntriesByType('resource').map(entry => new URL(entry.name).pathname)"
        )
        assert f"{BASE}/_mock/ui/app.js" in loaded
    finally:
        context.close()
    assert left == []
