"""Swagger UI in a real browser: Debian's headless Chromium, driven over the DevTools protocol.

The page loads from the package's own files (no CDN), lists every documented operation, and
"Try it out" on ``GET /api/customers`` shows a 200 from the server. Without
``/usr/bin/chromium`` the test is skipped, except in CI (``CI`` set), where ``scripts/test``
installs it and a missing browser is a failure.
"""

from __future__ import annotations

import itertools
import json
import os
import re
import shutil
import subprocess
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from websockets.sync.client import ClientConnection, connect

CHROMIUM = "/usr/bin/chromium"
BASE = "/Lemonsoft30"
_TIMEOUT_S = 20.0


class Browser:
    """One page of a headless Chromium, spoken to over the DevTools protocol."""

    def __init__(self, socket: ClientConnection) -> None:
        self.socket = socket
        self._ids = itertools.count(1)
        target = self.call("Target.createTarget", url="about:blank")["targetId"]
        attached = self.call("Target.attachToTarget", targetId=target, flatten=True)
        self.session: str | None = attached["sessionId"]

    def call(self, method: str, **params: Any) -> dict[str, Any]:
        message_id = next(self._ids)
        message: dict[str, Any] = {"id": message_id, "method": method, "params": params}
        if getattr(self, "session", None):
            message["sessionId"] = self.session
        self.socket.send(json.dumps(message))
        while True:  # events arrive in between; the answer carries our id
            answer = json.loads(self.socket.recv(timeout=_TIMEOUT_S))
            if answer.get("id") == message_id:
                if "error" in answer:
                    raise AssertionError(f"{method}: {answer['error']}")
                result: dict[str, Any] = answer["result"]
                return result

    def evaluate(self, expression: str) -> Any:
        result = self.call(
            "Runtime.evaluate", expression=expression, returnByValue=True, awaitPromise=True
        )
        if "exceptionDetails" in result:
            raise AssertionError(f"{expression}: {result['exceptionDetails']}")
        return result["result"].get("value")

    def wait_for(self, expression: str, what: str) -> Any:
        deadline = time.monotonic() + _TIMEOUT_S
        while time.monotonic() < deadline:
            value = self.evaluate(expression)
            if value:
                return value
            time.sleep(0.1)
        raise AssertionError(f"timed out waiting for {what}")

    def open(self, url: str) -> None:
        self.call("Page.navigate", url=url)
        self.wait_for("document.readyState === 'complete'", f"{url} to load")

    def click(self, selector: str) -> None:
        self.wait_for(f"!!document.querySelector({json.dumps(selector)})", selector)
        self.evaluate(f"document.querySelector({json.dumps(selector)}).click()")

    def screenshot(self, path: Path) -> None:
        import base64

        path.write_bytes(base64.b64decode(self.call("Page.captureScreenshot")["data"]))


@pytest.fixture
def browser(tmp_path: Path) -> Iterator[Browser]:
    if not Path(CHROMIUM).exists():
        if os.environ.get("CI"):
            pytest.fail(f"{CHROMIUM} is missing in CI: scripts/test installs Debian's chromium")
        pytest.skip(f"{CHROMIUM} is not installed (apt-get install chromium); CI runs this test")
    profile = tmp_path / "profile"
    process = subprocess.Popen(
        [CHROMIUM, "--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage",
         "--no-first-run", "--no-default-browser-check", "--remote-debugging-port=0",
         f"--user-data-dir={profile}", "about:blank"],
        stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True,
    )  # fmt: skip
    try:
        assert process.stderr is not None
        url = None
        deadline = time.monotonic() + _TIMEOUT_S
        while url is None and time.monotonic() < deadline:
            line = process.stderr.readline()
            if not line and process.poll() is not None:
                raise AssertionError(f"chromium exited with {process.returncode}")
            found = re.search(r"DevTools listening on (ws://\S+)", line)
            url = found.group(1) if found else None
        assert url is not None, "chromium never opened its DevTools socket"
        with connect(url, max_size=None, open_timeout=_TIMEOUT_S) as socket:
            page = Browser(socket)
            yield page
            page.screenshot(tmp_path / "last-page.png")  # kept with pytest's tmp_path, to look at
    finally:
        process.terminate()
        try:
            process.wait(5)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
        shutil.rmtree(profile, ignore_errors=True)


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


def test_swagger_ui_lists_every_operation_and_tries_one(
    start_server: Any, browser: Browser
) -> None:
    server = start_server("--customers", "12", "--invoices", "30", "--base-path", BASE)
    document = httpx.get(server.base_url + "/swagger/docs/v1", timeout=5).json()
    expected = _documented(document)

    browser.open(server.base_url + "/swagger/ui/index")
    count = len(expected)
    browser.wait_for(f"document.querySelectorAll('.opblock').length === {count}", "operations")
    assert sorted(browser.evaluate(_OPERATIONS_SHOWN)) == expected
    title = browser.evaluate("document.querySelector('.info .title').textContent")
    assert title.startswith(document["info"]["title"])

    operation = "#operations-Customer-listCustomers"
    browser.click(f"{operation} .opblock-summary-control")
    browser.click(f"{operation} .try-out__btn")
    browser.click(f"{operation} .execute")
    status = browser.wait_for(
        f"document.querySelector('{operation} .live-responses-table tbody .response-col_status')"
        "?.textContent",
        "the answer",
    )
    assert status.strip() == "200"
    url = browser.evaluate(f"document.querySelector('{operation} .request-url pre').textContent")
    assert url == f"{server.base_url}{BASE}/api/customers"
    shown = browser.evaluate(
        f"document.querySelector('{operation} .live-responses-table tbody "
        ".response-col_description pre').textContent"
    )
    assert json.loads(shown)["result_count"] == 10  # the default page size of 12 customers


def test_swagger_ui_under_the_base_path_uses_its_own_files(
    start_server: Any, browser: Browser
) -> None:
    server = start_server("--customers", "3", "--invoices", "6", "--base-path", BASE)
    browser.open(f"{server.base_url}{BASE}/docs")
    browser.wait_for("document.querySelectorAll('.opblock').length > 0", "operations")
    loaded = browser.evaluate(
        "performance.getEntriesByType('resource').map(entry => new URL(entry.name).pathname)"
    )
    assert f"{BASE}/swagger/ui/swagger-ui-bundle.js" in loaded
    assert f"{BASE}/swagger/ui/swagger-ui.css" in loaded
    assert f"{BASE}/swagger/docs/v1" in loaded
    assert all(not re.match(r"https?://(?!127\.0\.0\.1)", name) for name in loaded)
