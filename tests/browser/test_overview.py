"""The keys overview with a key whose credential mints no token: one clear badge and one error line,
a compact row, every column on screen on a phone, and the same health on the key's own page."""

from __future__ import annotations

import json

import pytest
from playwright.sync_api import expect

from tests.fixtures.service_account import make_service_account

pytestmark = pytest.mark.browser


def _add_broken_key(page, emulator, name: str) -> None:
    stranger = make_service_account(name="stranger", token_uri=emulator.token_uri)  # unknown to the emulator
    page.goto("/keys/new/")
    page.get_by_label("Name", exact=True).fill(name)
    page.get_by_label("Region", exact=True).select_option("us-central1")
    page.get_by_label("Service-account JSON").fill(json.dumps(stranger))
    expect(page.locator("#cred-identity")).to_be_visible()
    page.get_by_label("Project ID").fill("demo-project")
    page.get_by_role("button", name="Add deployment").click()
    page.locator(".deployment-row").nth(0).get_by_label("Target model or endpoint").fill("gemini-2.0-flash")
    page.get_by_role("button", name="Create key").click()
    expect(page.get_by_role("heading", name=f"Edit key “{name}”")).to_be_visible()


def test_a_broken_key_shows_one_badge_and_one_error_line_also_on_a_phone(page, login, emulator, screenshot):
    login("alice")
    _add_broken_key(page, emulator, "broken-key")
    try:
        page.goto("/")
        row = page.locator("#keys-table tr[data-key='broken-key']")
        attention = row.locator(".attention-cell")
        expect(attention.locator(".badge")).to_have_count(1)
        expect(attention.locator(".badge")).to_have_text("Problem")
        expect(attention).to_contain_text("No token could be minted")
        text = row.inner_text()
        assert "showing the last good one" not in text and "never been listed" not in text
        assert text.count("account not found") == 1, text  # the token endpoint's answer, once
        wrap = page.locator("#keys-table").locator("xpath=..").bounding_box()
        cell = attention.bounding_box()
        assert cell["x"] + cell["width"] <= wrap["x"] + wrap["width"] + 1, "the Attention column is cut off"
        height = row.bounding_box()["height"]
        assert height < 200, f"the row is {height:.0f} px tall"
        screenshot(page, "overview-broken-key")

        page.set_viewport_size({"width": 390, "height": 844})
        page.goto("/")
        row = page.locator("#keys-table tr[data-key='broken-key']")
        for cell in ("Health", "Attention"):
            box = row.locator(f"td[data-label='{cell}']").bounding_box()
            assert box["x"] >= 0 and box["x"] + box["width"] <= 391, f"{cell} is off-screen: {box}"
        assert page.evaluate("document.documentElement.scrollWidth - window.innerWidth") <= 1
        screenshot(page, "overview-broken-key-phone")

        page.set_viewport_size({"width": 1360, "height": 900})
        row.get_by_role("link", name="Edit").click()
        health = page.locator("#key-health")
        expect(health).to_contain_text("No token could be minted")
        expect(health).to_contain_text("account not found")
        expect(health).to_contain_text("never minted")
        screenshot(page, "key-edit-broken-health")
    finally:
        page.goto("/")
        page.locator("#keys-table tr[data-key='broken-key']").get_by_role("link", name="Edit").click()
        page.once("dialog", lambda dialog: dialog.accept())
        page.get_by_role("button", name="Delete").click()
