"""What every browser test shares: Debian's Chromium driven by Playwright (never a browser
downloaded by Playwright). Without /usr/bin/chromium the tests skip, saying so; in CI (the
CI environment variable set) they fail instead, as `.ci/run` installs it."""

from __future__ import annotations

import os
from collections.abc import AsyncIterator
from pathlib import Path

import pytest
from playwright.async_api import Browser, async_playwright

CHROMIUM = Path("/usr/bin/chromium")


def need_chromium() -> None:
    if os.access(CHROMIUM, os.X_OK):
        return
    why = f"{CHROMIUM} is missing: install Debian's chromium package to run the browser tests"
    if os.environ.get("CI"):
        pytest.fail(f"{why} (CI is set: these tests must run)")
    pytest.skip(why)


@pytest.fixture
async def browser() -> AsyncIterator[Browser]:
    need_chromium()
    async with async_playwright() as playwright:
        launched = await playwright.chromium.launch(executable_path=str(CHROMIUM),
                                                    headless=True)
        try:
            yield launched
        finally:
            await launched.close()
