"""Debian's Chromium, driven by Playwright, for the browser tests (the dashboard, Swagger UI).

Playwright's own browser download cannot work here: the system's ``/usr/bin/chromium`` is
launched instead (``scripts/test`` installs it in CI). Without it, or without the
``playwright`` package, a test is skipped, except in CI (``CI`` set), where either missing is a
failure. ``confine`` makes a page refuse (and remember) every request that would leave the
server under test: nothing the page loads or sends may go anywhere else.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING, Any, NoReturn

import pytest

if TYPE_CHECKING:
    from playwright.sync_api import Browser, Page, Route

CHROMIUM = "/usr/bin/chromium"
ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
    "--disable-dev-shm-usage",
]
SCREENSHOTS = Path(__file__).parent / "screenshots"  # git-ignored: to look at, not to compare


def _missing(reason: str) -> NoReturn:
    if os.environ.get("CI"):
        pytest.fail(f"{reason} in CI: scripts/test installs Debian's chromium and playwright")
    pytest.skip(f"{reason}; CI runs this test")


@contextmanager
def chromium() -> Iterator[Browser]:
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:
        _missing("the playwright package is not installed")
    if not Path(CHROMIUM).exists():
        _missing(f"{CHROMIUM} is not installed (apt-get install chromium)")
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=ARGS)
        try:
            yield browser
        finally:
            browser.close()


def confine(page: Page, origin: str) -> list[str]:
    """Every request of ``page`` not to ``origin`` (``http://127.0.0.1:PORT``) is aborted and
    listed in the answer (which a test asserts empty); the others go through."""
    left: list[str] = []

    def check(route: Route, *_: Any) -> None:
        url = route.request.url
        if url == origin or url.startswith(origin + "/"):
            route.continue_()
        else:
            left.append(url)
            route.abort()

    page.route("**/*", check)
    page.on(
        "request",
        lambda request: None if request.url.startswith(origin) else left.append(request.url),
    )
    return left


def screenshot(page: Page, name: str) -> Path:
    SCREENSHOTS.mkdir(exist_ok=True)
    path = SCREENSHOTS / f"{name}.png"
    page.screenshot(path=str(path), full_page=False)
    return path
