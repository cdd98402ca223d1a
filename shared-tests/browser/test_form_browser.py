"""The form in a real browser: headless Debian chromium driven by Playwright, once per worker.

Kept in its own folder so the main suite can leave it out: `python -m pytest shared-tests/browser [--worker ID]`.
Screenshots go to reports/form-<id>.png (the filled-in form) and reports/form-<id>-result.png (the answer).
Without chromium or Playwright the file is skipped, naming what is missing; in CI it fails (workers_parity/ci.py).
"""

from __future__ import annotations

from pathlib import Path

import pytest

from workers_parity.ci import missing_tool
from workers_parity.demo import browser_setup

for _reason in (browser_setup.playwright_missing(), browser_setup.chromium_missing()):
    if _reason:
        missing_tool(_reason, module_level=True)

from playwright.sync_api import Browser, Page, expect, sync_playwright  # noqa: E402

ROOT = Path(__file__).resolve().parents[2]  # the repository

REPORTS = ROOT / "reports"
NAME = """<script>alert("x")</script> & 'quotes' 🦄"""
MESSAGE = """<img src=x onerror=alert(1)> & "double" 'single' 🎉
second line"""


@pytest.fixture(scope="session")
def browser() -> Browser:
    with sync_playwright() as playwright:
        launched = playwright.chromium.launch(
            executable_path=str(browser_setup.chromium_path()), headless=True, args=list(browser_setup.CHROMIUM_ARGS)
        )
        yield launched
        launched.close()


class Tab:
    """One page of a fresh browser context, recording every dialog (alert, confirm) and every POST it sends."""

    def __init__(self, page: Page, base_url: str):
        self.page = page
        self.base_url = base_url
        self.dialogs: list[str] = []
        self.posts: list[str] = []
        page.on("dialog", self._dialog)
        page.on("request", lambda request: request.method == "POST" and self.posts.append(request.url))

    def _dialog(self, dialog) -> None:
        self.dialogs.append(f"{dialog.type}: {dialog.message}")
        dialog.dismiss()

    def open_form(self) -> None:
        response = self.page.goto(self.base_url + "/form")
        assert response is not None and response.status == 200
        expect(self.page.locator("h1")).to_have_text("Contact form")

    def submit(self):
        """Click Send and wait for the answer to the POST; returns that response."""
        with self.page.expect_response(lambda r: r.request.method == "POST") as posted:
            self.page.get_by_role("button", name="Send").click()
        self.page.wait_for_load_state()
        return posted.value


@pytest.fixture
def tab(browser: Browser, worker) -> Tab:
    context = browser.new_context(viewport={"width": 800, "height": 260})
    try:
        yield Tab(context.new_page(), worker.base_url)
    finally:
        context.close()


def field_property(tab: Tab, selector: str, expression: str):
    return tab.page.locator(selector).evaluate(f"element => {expression}")


def test_escaped_text_is_shown_as_typed_and_never_runs(tab: Tab, worker) -> None:
    tab.open_form()
    tab.page.fill("#name", NAME)
    tab.page.fill("#message", MESSAGE)
    REPORTS.mkdir(exist_ok=True)
    tab.page.screenshot(path=REPORTS / f"form-{worker.id}.png", full_page=True)

    response = tab.submit()

    assert response.status == 200
    expect(tab.page.locator("h1")).to_have_text(f"Thanks, {NAME}!")
    assert tab.page.locator("p.message").text_content() == MESSAGE
    assert tab.page.locator("script, img").count() == 0, "submitted markup became elements"
    tab.page.screenshot(path=REPORTS / f"form-{worker.id}-result.png", full_page=True)
    assert tab.dialogs == [], "a script ran"


def test_browser_blocks_an_empty_name(tab: Tab) -> None:
    tab.open_form()
    tab.page.fill("#message", "no name given")

    tab.page.get_by_role("button", name="Send").click()
    tab.page.wait_for_timeout(300)  # a submission would have started by now

    assert field_property(tab, "#name", "element.validity.valueMissing") is True
    assert tab.posts == [], "the browser sent the form despite `required`"
    expect(tab.page.locator("h1")).to_have_text("Contact form")


def test_blank_name_passes_the_browser_but_not_the_server(tab: Tab) -> None:
    tab.open_form()
    tab.page.fill("#name", "   ")

    response = tab.submit()

    assert response.status == 400
    expect(tab.page.locator("p.error")).to_have_text("Name is required.")


def test_typing_past_maxlength_stops_at_the_limit(tab: Tab) -> None:
    tab.open_form()
    tab.page.locator("#name").press_sequentially("n" * 150)
    tab.page.locator("#message").focus()
    tab.page.keyboard.insert_text("m" * 1100)

    assert tab.page.input_value("#name") == "n" * 100
    assert len(tab.page.input_value("#message")) == 1000
    response = tab.submit()

    assert response.status == 200
    expect(tab.page.locator("h1")).to_have_text(f"Thanks, {'n' * 100}!")
