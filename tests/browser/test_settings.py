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
