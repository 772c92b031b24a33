"""The merged model list: per key and across keys, source badges, search, refresh with progress."""

from __future__ import annotations

import time

import pytest
from playwright.sync_api import expect

pytestmark = pytest.mark.browser


def test_a_developer_sees_the_merged_models_with_source_badges_and_can_search(page, login, screenshot):
    login("dave")
    page.get_by_role("link", name="Models").click()
    across = page.locator("#models-across")
    # Deployments of the seeded key and the custom models its project lists on the emulator.
    expect(across.locator("tr[data-model='gemini-2.0-flash']")).to_contain_text("deployment")
    expect(across.locator("tr[data-model='claude-sonnet-4-5']")).to_contain_text("claude-sonnet-4-5@20250929")
    expect(across.locator(".badge.src-custom").first).to_be_visible()
    expect(page.get_by_role("link", name="Edit key")).to_have_count(0)
    expect(page.locator("#listings-table")).to_contain_text("emulator-us")
    screenshot(page, "models-developer")

    page.get_by_label("Search").fill("sonnet")
    page.get_by_role("button", name="Apply").click()
    expect(across.locator("tbody tr")).to_have_count(1)
    expect(across).to_contain_text("Claude Sonnet 4.5")


def test_refresh_shows_progress_and_comes_back_with_what_vertex_lists_now(page, login, vertex, screenshot):
    vertex.set_custom_models("demo-project", "us-central1", [{
        "displayName": "fresh-tuned-model",
        "deployedModels": [{"endpoint": "projects/demo-project/locations/us-central1/endpoints/5550001111"}],
    }])
    login("alice")
    page.goto("/models/")
    page.get_by_role("link", name="emulator-us", exact=True).first.click()
    table = page.locator("#key-models")
    expect(table).to_contain_text("claims-classifier")
    expect(table).not_to_contain_text("fresh-tuned-model")
    with page.expect_navigation():
        page.get_by_role("button", name="Refresh", exact=True).click()
        expect(page.locator("#refresh-progress")).to_be_visible()
    expect(table.locator("tr[data-model='5550001111']")).to_contain_text("fresh-tuned-model")
    expect(table.locator("tr[data-model='5550001111']")).to_contain_text("custom")
    # The old custom models are gone: the listing is what Vertex answers now, merged with deployments.
    expect(table).not_to_contain_text("claims-classifier")
    expect(table).to_contain_text("Gemini 2.0 Flash")
    screenshot(page, "models-one-key")
    vertex.reset()
    with page.expect_navigation():
        page.get_by_role("button", name="Refresh", exact=True).click()
    expect(table).to_contain_text("claims-classifier")


def _add_key(page, emulator, name: str) -> None:
    page.goto("/keys/new/")
    page.get_by_label("Name", exact=True).fill(name)
    page.get_by_label("Region", exact=True).select_option("us-central1")
    page.get_by_label("Service-account JSON").fill(emulator.service_account_json)
    expect(page.locator("#cred-identity")).to_be_visible()
    page.get_by_label("Project ID").fill("demo-project")
    page.get_by_role("button", name="Create key").click()
    expect(page.get_by_role("heading", name=f"Edit key “{name}”")).to_be_visible()


def test_refresh_all_runs_the_keys_side_by_side_with_progress_per_key(page, login, vertex, emulator, screenshot):
    login("alice")
    _add_key(page, emulator, "second-key")
    try:
        vertex.add_fault(delay_ms=4000, path_contains="/models")  # every List Models call takes 4 s
        page.goto("/models/")
        keys = page.locator("#listings-table tbody tr").count()  # other tests of the session may add keys
        assert keys >= 2
        started = time.monotonic()
        with page.expect_navigation(timeout=20_000):  # the page reloads once every key is back
            page.get_by_role("button", name="Refresh all keys").click()
            progress = page.locator("#refresh-keys")
            expect(progress.locator("li")).to_have_count(keys)
            expect(progress).to_contain_text("emulator-us")
            expect(progress.locator("li", has_text="second-key")).to_contain_text("refreshing")
            page.screenshot(path="/tmp/models-refresh-progress.png")
        elapsed = time.monotonic() - started
        page.wait_for_load_state()
        # One after the other would take 4 s per key, 8 s or more.
        assert elapsed < 7.5, f"Refresh all took {elapsed:.1f} s for {keys} keys of 4 s each"
        print(f"Refresh all: {keys} keys of 4 s each in {elapsed:.1f} s")
        expect(page.locator("#listings-table tr", has_text="second-key")).to_contain_text("up to date")
        screenshot(page, "models-refreshed-all")
    finally:
        vertex.clear_faults()
        page.goto("/")
        page.locator("#keys-table tr[data-key='second-key']").get_by_role("link", name="Edit").click()
        page.once("dialog", lambda dialog: dialog.accept())
        page.get_by_role("button", name="Delete").click()
