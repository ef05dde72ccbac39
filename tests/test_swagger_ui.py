"""Swagger UI in a real browser: Debian's headless Chromium, driven by Playwright
(``tests/browser.py``).

The page loads from the package's own files (no CDN), lists every documented operation, and
"Try it out" on ``GET /api/customers`` shows a 200 from the server. Without
``/usr/bin/chromium`` or Playwright the test is skipped, except in CI (``CI`` set), where
``scripts/test`` installs both and a missing one is a failure.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from typing import TYPE_CHECKING, Any

import httpx
import pytest
from browser import chromium, confine, screenshot

if TYPE_CHECKING:
    from playwright.sync_api import Page

BASE = "/Lemonsoft30"
_TIMEOUT_MS = 20_000


@pytest.fixture
def browser() -> Iterator[Page]:
    with chromium() as launched:
        context = launched.new_context(viewport={"width": 1280, "height": 800})
        page = context.new_page()
        page.set_default_timeout(_TIMEOUT_MS)
        yield page
        context.close()


_OPERATIONS_SHOWN = """
[...document.querySelectorAll('.opblock')].map(block =>
  block.querySelector('.opblock-summary-method').textContent + ' ' +
  block.querySelector('.opblock-summary-path').getAttribute('data-path'))
"""


def _documented(document: dict[str, Any]) -> list[str]:
    return sorted(
        f"{method.upper()} {path}"
        for path, item in document["paths"].items()
        for method in item
        if method != "servers"
    )


def test_swagger_ui_lists_every_operation_and_tries_one(start_server: Any, browser: Page) -> None:
    from playwright.sync_api import expect

    server = start_server("--customers", "12", "--invoices", "30", "--base-path", BASE)
    left = confine(browser, server.base_url)
    document = httpx.get(server.base_url + "/swagger/docs/v1", timeout=5).json()
    expected = _documented(document)

    browser.goto(server.base_url + "/swagger/ui/index")
    expect(browser.locator(".opblock")).to_have_count(len(expected))
    assert sorted(browser.evaluate(_OPERATIONS_SHOWN)) == expected
    expect(browser.locator(".info .title")).to_contain_text(document["info"]["title"])

    operation = browser.locator("#operations-Customer-listCustomers")
    operation.locator(".opblock-summary-control").click()
    operation.locator(".try-out__btn").click()
    operation.locator(".execute").click()
    status = operation.locator(".live-responses-table tbody .response-col_status")
    expect(status).to_have_text(re.compile(r"^\s*200\s*$"))
    url = operation.locator(".request-url pre").text_content()
    assert url == f"{server.base_url}{BASE}/api/customers"
    shown = operation.locator(
        ".live-responses-table tbody .response-col_description pre"
    ).first.text_content()
    assert shown is not None
    assert json.loads(shown)["result_count"] == 10  # the default page size of 12 customers
    screenshot(browser, "swagger-ui")
    assert left == []


def test_swagger_ui_under_the_base_path_uses_its_own_files(
    start_server: Any, browser: Page
) -> None:
    from playwright.sync_api import expect

    server = start_server("--customers", "3", "--invoices", "6", "--base-path", BASE)
    left = confine(browser, server.base_url)
    browser.goto(f"{server.base_url}{BASE}/docs")
    expect(browser.locator(".opblock").first).to_be_visible()
    loaded = browser.evaluate(
        "performance.getEntriesByType('resource').map(entry => new URL(entry.name).pathname)"
    )
    assert f"{BASE}/swagger/ui/swagger-ui-bundle.js" in loaded
    assert f"{BASE}/swagger/ui/swagger-ui.css" in loaded
    assert f"{BASE}/swagger/docs/v1" in loaded
    assert left == []  # nothing left 127.0.0.1
