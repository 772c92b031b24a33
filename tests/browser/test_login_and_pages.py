"""Logging in, the role rules in the browser, and a screenshot of every page."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect

pytestmark = pytest.mark.browser


def test_an_admin_logs_in_and_lands_on_the_keys_overview(page, login, screenshot):
    page.goto("/")
    expect(page).to_have_url(re.compile(r"/login/\?next=/"))
    screenshot(page, "login")
    login("alice")
    expect(page).to_have_url(re.compile(r"/$"))
    expect(page.get_by_role("heading", name="Keys overview")).to_be_visible()
    expect(page.locator("#keys-table")).to_contain_text("emulator-us")
    expect(page.locator("#keys-table")).to_contain_text("gateway@demo-project.iam.gserviceaccount.com")
    screenshot(page, "overview")


def test_a_wrong_password_is_refused_with_a_message(page, screenshot):
    page.goto("/login/")
    page.get_by_label("Username").fill("alice")
    page.get_by_label("Password").fill("not-the-password")
    page.get_by_role("button", name="Sign in").click()
    expect(page.get_by_role("alert")).to_contain_text("correct username and password")
    expect(page).to_have_url(re.compile(r"/login/"))
    screenshot(page, "login-error")


def test_a_developer_is_refused_the_key_edit_page(page, login, screenshot):
    login("dave")
    expect(page.get_by_role("heading", name="Playground")).to_be_visible()
    nav = page.get_by_role("navigation")
    expect(nav.get_by_role("link", name="Keys overview")).to_have_count(0)
    expect(nav.get_by_role("link", name="Add key")).to_have_count(0)
    response = page.goto("/keys/1/")
    assert response.status == 403
    expect(page.get_by_role("heading", name="You can't open this page")).to_be_visible()
    expect(page.locator("body")).not_to_contain_text("iam.gserviceaccount.com")
    screenshot(page, "developer-refused")
    page.console_errors[:] = [e for e in page.console_errors if "403 (Forbidden)" not in e]


@pytest.mark.parametrize("path,heading,shot", [
    ("/models/", "Models", "models"),
    ("/logs/requests/", "Request log", "request-log"),
    ("/logs/audit/", "Audit log", "audit-log"),
    ("/settings/", "Settings", "settings"),
    ("/keys/new/", "Add a key", "key-create-empty"),
])
def test_every_admin_page_renders(page, login, screenshot, path, heading, shot):
    login("alice")
    page.goto(path)
    expect(page.get_by_role("heading", name=heading, exact=True)).to_be_visible()
    screenshot(page, shot)
