"""The API docs: reachable from the dashboard, one Swagger UI with the configuration API and /v1."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

pytestmark = pytest.mark.browser


def test_the_api_docs_show_the_config_api_and_the_v1_operations(page, login, screenshot):
    login("dave")
    page.get_by_role("navigation").get_by_role("link", name="API docs").click()
    expect(page.locator(".swagger-ui .info .title")).to_contain_text("Vertex Gateway Admin API", timeout=20_000)
    expect(page.locator(".opblock-summary-path", has_text="/api/v1/keys/").first).to_be_visible()
    page.locator(".topbar select").select_option(label="OpenAI-compatible API (/v1)")
    for path in ("/v1/chat/completions", "/v1/embeddings", "/v1/models"):
        expect(page.locator(".opblock-summary-path", has_text=path).first).to_be_visible()
    page.screenshot(path="/tmp/api-docs-v1.png")
    screenshot(page, "api-docs-v1")
