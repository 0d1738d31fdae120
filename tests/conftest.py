"""Fixtures shared by every test folder: a real headless Chromium for the users' views."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

CHROMIUM = Path(os.environ.get("HADPLANNER_CHROMIUM", "/usr/bin/chromium"))
"""Debian's Chromium (``apt-get install -y chromium``); ``.ci/run`` installs it."""

CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]


@pytest.fixture(scope="session")
def browser():
    """Headless Chromium driven by Playwright (skipped, naming the fix, when absent)."""
    if not CHROMIUM.exists():
        pytest.skip(f"Chromium not found at {CHROMIUM} (apt-get install -y chromium)")
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:  # a dev dependency: fail loudly rather than skip
        pytest.fail("the browser tests need playwright: pip install -e '.[dev]'")
    with sync_playwright() as p:
        b = p.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        yield b
        b.close()


@pytest.fixture
def open_offline(browser):
    """Open a local file in a fresh browser context with the network off (only ``file:``
    requests pass); returns the page, the context closed after the test."""
    contexts = []

    def open_(path: Path):
        context = browser.new_context(offline=True)
        contexts.append(context)
        page = context.new_page()
        page.route("**/*", lambda route: route.continue_()
                   if route.request.url.startswith("file:") else route.abort())
        page.goto(path.as_uri())
        return page

    yield open_
    for context in contexts:
        context.close()
