"""API tokens in the browser: shown once at creation, usable on /v1, revocable."""

from __future__ import annotations

import httpx
import pytest
from playwright.sync_api import expect

pytestmark = pytest.mark.browser


def test_a_developer_creates_a_token_sees_it_once_uses_it_and_revokes_it(page, login, app_server, screenshot):
    login("dave")
    page.get_by_role("navigation").get_by_role("link", name="Settings").click()
    page.get_by_label("Name").fill("laptop")
    page.get_by_label("Model scopes").fill("gemini-2.0-flash")
    page.get_by_role("button", name="Create token").click()
    shown = page.locator("#new-token-value")
    expect(shown).to_be_visible()
    raw = shown.inner_text().strip()
    assert raw.startswith("vga_")
    screenshot(page, "settings-token-created")

    answer = httpx.get(app_server.url("/v1/models"), headers={"Authorization": f"Bearer {raw}"}, timeout=10)
    assert answer.status_code == 200

    page.get_by_role("link", name="Done, I have copied it").click()
    expect(page.locator("#new-token-value")).to_have_count(0)
    assert raw not in page.content()
    row = page.locator("#tokens-table tr", has_text="laptop")
    expect(row).to_contain_text("gemini-2.0-flash")
    page.once("dialog", lambda dialog: dialog.accept())
    row.get_by_role("button", name="Revoke").click()
    expect(page.locator("#tokens-table tr", has_text="laptop")).to_contain_text("revoked")
    refused = httpx.get(app_server.url("/v1/models"), headers={"Authorization": f"Bearer {raw}"}, timeout=10)
    assert refused.status_code == 401


def test_reloading_after_creating_a_token_creates_no_second_one_and_copy_copies_it(page, login, screenshot):
    page.context.grant_permissions(["clipboard-read", "clipboard-write"])
    login("dave")
    page.goto("/settings/")
    page.get_by_label("Name").fill("reload-check")
    page.get_by_role("button", name="Create token").click()
    shown = page.locator("#new-token-value")
    expect(shown).to_be_visible()
    raw = shown.inner_text().strip()
    assert "/settings/" in page.url and raw not in page.url
    page.get_by_role("button", name="Copy", exact=True).click()
    expect(page.locator("#copy-token-status")).to_have_text("Copied.")
    assert page.evaluate("navigator.clipboard.readText()") == raw
    screenshot(page, "settings-token-copy")

    page.reload()  # a GET: nothing is re-submitted, and the token is not shown again
    expect(page.locator("#new-token-value")).to_have_count(0)
    expect(page.locator("#tokens-table tr", has_text="reload-check")).to_have_count(1)

    page.get_by_label("Name").fill("reload-check")
    page.get_by_role("button", name="Create token").click()
    expect(page.locator("#err_name")).to_contain_text("already has a live token named")
    page.console_errors[:] = [e for e in page.console_errors if "400 (Bad Request)" not in e]
