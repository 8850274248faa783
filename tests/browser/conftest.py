"""Chromium driving the app on a live server in dev mode, with its own var directory and SQLite database.

Debian's Chromium is the browser. Without it the browser tests skip, except under CI, where they must run.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import pytest
from playwright.sync_api import Browser, Page, sync_playwright

from app.core.config import Settings
from app.main import create_app
from tests.support.live_server import live_server

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking"]
ARTIFACTS = Path(__file__).parents[2] / "test-artifacts"


@pytest.fixture(scope="module")
def browser() -> Iterator[Browser]:
    if not CHROMIUM.exists():
        message = f"{CHROMIUM} is not installed"
        if os.environ.get("CI", "").lower() == "true":
            pytest.fail(f"{message}; the browser tests are mandatory under CI")
        pytest.skip(message)
    with sync_playwright() as playwright:
        launched = playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        yield launched
        launched.close()


@pytest.fixture
def dev_settings(sqlite_url: str, tmp_path: Path) -> Settings:
    return Settings(dev_mode=True, database_url=sqlite_url, var_dir=tmp_path / "var")


@pytest.fixture
def base_url(dev_settings: Settings) -> Iterator[str]:
    with live_server(create_app(dev_settings)) as url:
        yield url


@pytest.fixture
def page(browser: Browser, base_url: str) -> Iterator[Page]:
    context = browser.new_context(base_url=base_url, viewport={"width": 1366, "height": 768})
    opened = context.new_page()
    yield opened
    context.close()


@pytest.fixture
def artifacts() -> Path:
    ARTIFACTS.mkdir(exist_ok=True)
    return ARTIFACTS
