"""The merged model list: per key and across keys, source badges, search, refresh with progress."""

from __future__ import annotations

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
