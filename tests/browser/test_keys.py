"""Creating and editing a key in the browser: credential checked at once and shown only as identity,
deployments table, live preview, errors beside the field, Test connection."""

from __future__ import annotations

import json
import re

import pytest
from playwright.sync_api import expect

pytestmark = pytest.mark.browser


def test_an_admin_creates_a_key_with_an_uploaded_service_account_and_deployments(
        page, login, screenshot, emulator, tmp_path):
    login("alice")
    page.get_by_role("navigation").get_by_role("link", name="Add key").click()
    expect(page.get_by_role("heading", name="Add a key")).to_be_visible()
    page.get_by_label("Name", exact=True).fill("browser-key")
    page.get_by_label("Region", exact=True).select_option("us-central1")
    expect(page.locator("#region-note")).to_contain_text("data residency")
    failover = page.get_by_label("Region failover")
    expect(failover).to_have_value("any")
    failover.select_option(label="Stay in the key's residency zone")

    sa_file = tmp_path / "key.json"
    sa_file.write_text(emulator.service_account_json)
    page.get_by_label("Or upload the key file").set_input_files(str(sa_file))
    identity = page.locator("#cred-identity")
    expect(identity).to_be_visible()
    expect(identity).to_contain_text(emulator.service_account["client_email"])
    expect(identity).to_contain_text(emulator.service_account["private_key_id"])
    # The secret is not on the page any more: only identity and fingerprint are shown.
    expect(page.locator("#cred-input")).to_be_hidden()
    assert "PRIVATE KEY" not in page.locator("main").inner_text()
    expect(page.get_by_label("Project ID")).to_have_value("demo-project")  # taken from the key file

    page.get_by_role("button", name="Add deployment").click()
    row = page.locator(".deployment-row").nth(0)
    row.get_by_label("Target model or endpoint").fill("gemini-2.0-flash")
    row.get_by_label("Target model or endpoint").press("Tab")
    expect(row.get_by_label("Alias")).to_have_value("gemini-2.0-flash")
    page.get_by_role("button", name="Add deployment").click()
    row = page.locator(".deployment-row").nth(1)
    row.get_by_label("Alias").fill("claude-fast")
    row.get_by_label("Target model or endpoint").fill("claude-3-5-haiku@20241022")
    row.get_by_label("Region override").select_option("us-east5")

    preview = page.locator("#preview")
    expect(preview).to_contain_text("Gemini 2.0 Flash")
    expect(preview).to_contain_text("claude-fast")
    expect(preview).to_contain_text("deployment")
    # Test connection works before saving, with the values in the form.
    page.get_by_role("button", name="Test connection").click()
    expect(page.locator("#test-result")).to_contain_text("Connection works", timeout=20_000)
    screenshot(page, "key-create-filled")

    page.get_by_role("button", name="Create key").click()
    expect(page.get_by_role("status").first).to_contain_text("Key “browser-key” created")
    expect(page.get_by_role("heading", name="Edit key “browser-key”")).to_be_visible()
    expect(page.locator("#current-identity")).to_contain_text(emulator.service_account["client_email"])
    expect(page.locator(".deployment-row")).to_have_count(2)
    expect(page.locator(".deployment-row").nth(1).get_by_label("Region override")).to_have_value("us-east5")
    expect(page.get_by_label("Region failover")).to_have_value("geography")
    assert "PRIVATE KEY" not in page.content()

    page.get_by_role("button", name="Test connection").click()
    result = page.locator("#test-result")
    expect(result).to_contain_text("Connection works", timeout=20_000)
    expect(result).to_contain_text("List Models answered 200")
    screenshot(page, "key-edit-tested")


def test_bad_input_is_refused_with_errors_beside_the_fields_and_nothing_saved(page, login, screenshot):
    login("alice")
    page.goto("/keys/new/")
    page.get_by_label("Service-account JSON").fill('{"type": "authorized_user"}')
    expect(page.locator("#cred-status")).to_contain_text(re.compile("service.account", re.I))
    expect(page.get_by_label("Service-account JSON")).to_have_attribute("aria-invalid", "true")

    page.get_by_label("Name", exact=True).fill("bad key!")
    page.get_by_label("Project ID").fill("Not A Project")
    page.get_by_role("button", name="Add deployment").click()
    row = page.locator(".deployment-row").nth(0)
    row.get_by_label("Alias").fill("broken")
    row.get_by_label("Target model or endpoint").fill("no-such-model-family")
    page.get_by_role("button", name="Create key").click()

    expect(page.locator("#form-errors")).to_contain_text("Nothing was saved")
    expect(page.locator("#err_name")).to_be_visible()
    expect(page.locator("#err_project_id")).to_be_visible()
    expect(page.locator("#err_credentials")).to_be_visible()
    expect(page.locator(".deployment-row").nth(0).locator(".errorlist")).to_be_visible()
    # The pasted secret is never sent back into the page.
    expect(page.get_by_label("Service-account JSON")).to_have_value("")
    screenshot(page, "key-create-errors")
    # The refused form is answered 400, which Chromium logs; that is the expected answer here.
    page.console_errors[:] = [e for e in page.console_errors if "400 (Bad Request)" not in e]
    page.goto("/")
    expect(page.locator("#keys-table")).not_to_contain_text("bad key!")


def test_the_credential_check_answers_with_identity_only(page, login, emulator):
    login("alice")
    page.goto("/keys/new/")
    token = page.locator("input[name=csrfmiddlewaretoken]").first.get_attribute("value")
    response = page.request.post("/keys/check-credentials/", form={"credentials": emulator.service_account_json},
                                 headers={"X-CSRFToken": token})
    data = response.json()
    assert data["ok"] is True
    assert data["client_email"] == emulator.service_account["client_email"]
    assert "private_key" not in json.dumps(data).replace("private_key_id", "")


def test_the_preview_stays_in_view_and_shows_every_row_while_deployments_are_edited(page, login, screenshot):
    login("alice")
    page.goto("/keys/new/")
    targets = ["gemini-2.0-flash", "gemini-2.5-pro", "gemini-2.5-flash", "claude-sonnet-4-5@20250929",
               "claude-3-5-haiku@20241022", "mistral-small-2503", "meta/llama-3.3-70b-instruct-maas",
               "gemini-2.0-flash-lite", "gemini-1.5-pro", "gemini-1.5-flash", "claude-opus-4-1@20250805",
               "claude-haiku-4-5@20251001"]
    for i, target in enumerate(targets):
        page.get_by_role("button", name="Add deployment").click()
        row = page.locator(".deployment-row").nth(i)
        row.get_by_label("Alias").fill(f"m{i}")
        row.get_by_label("Target model or endpoint").fill(target)
    last = page.locator(".deployment-row").nth(len(targets) - 1)
    last.get_by_label("Alias").scroll_into_view_if_needed()
    preview = page.locator("#preview-list")
    expect(preview.locator("li")).to_have_count(len(targets))
    expect(preview).to_contain_text("Claude Haiku 4.5")
    # Still on screen next to the row being edited, and no scroll box of its own inside the card.
    box = page.locator(".preview-card").bounding_box()
    assert box["y"] >= 0 and box["y"] < 900, box
    assert page.evaluate("(() => { const l = document.getElementById('preview-list');"
                         " return l.scrollHeight <= l.clientHeight + 1; })()")
    page.screenshot(path="/tmp/key-form-sticky-preview.png")
    screenshot(page, "key-form-many-deployments")
