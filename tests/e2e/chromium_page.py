"""Headless Chromium for the browser tests: Debian's /usr/bin/chromium driven by Playwright
(never a downloaded browser). Without it the tests skip, saying why; under CI they fail."""

from __future__ import annotations

import contextlib
import importlib.util
import os
import re
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest

CHROMIUM = Path(os.environ.get("STARPORT_TEST_CHROMIUM", "/usr/bin/chromium"))
LOCAL = re.compile(r"^https?://127\.0\.0\.1(:\d+)?/")


def require_browser() -> None:
    why = None
    if importlib.util.find_spec("playwright") is None:
        why = "playwright is not installed (pip install -e '.[dev]')"
    elif not CHROMIUM.exists():
        why = f"no Chromium at {CHROMIUM} (apt-get install chromium)"
    if why is None:
        return
    if os.environ.get("CI"):
        pytest.fail(f"browser tests cannot run: {why}")
    pytest.skip(f"browser tests skipped: {why}")


@contextlib.asynccontextmanager
async def browser_page(outside: list[str]) -> AsyncIterator[Any]:
    """A fresh page. Every request off 127.0.0.1 is refused (the tests run without a network);
    the page's own are listed in `outside` (it must need none; a window it opens, such as a
    payment page sending the buyer back to t.me, may try)."""
    require_browser()
    from playwright.async_api import async_playwright

    async with async_playwright() as playwright:
        browser = await playwright.chromium.launch(executable_path=str(CHROMIUM))
        try:
            context = await browser.new_context(viewport={"width": 420, "height": 480})

            async def refuse(route: Any) -> None:
                await route.abort()

            async def note(route: Any) -> None:
                outside.append(route.request.url)
                await route.abort()

            await context.route(lambda url: not LOCAL.match(url), refuse)
            page = await context.new_page()
            await page.route(lambda url: not LOCAL.match(url), note)
            yield page
        finally:
            await browser.close()
