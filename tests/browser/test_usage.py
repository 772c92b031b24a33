"""The Usage page in the browser: spend per day as a stacked chart, top spenders, budget warning."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest
from playwright.sync_api import expect

pytestmark = pytest.mark.browser
ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture(scope="module")
def usage_seeded(app_server):
    subprocess.run([sys.executable, "tests/browser/seed_usage.py"], cwd=ROOT, env=app_server.env, check=True)


def test_an_admin_reads_a_month_of_spend_by_model_and_by_user(page, login, usage_seeded, screenshot):
    login("alice")
    page.get_by_role("navigation").get_by_role("link", name="Usage").click()
    expect(page.get_by_role("heading", name="Usage", level=1)).to_be_visible()
    chart = page.locator(".usage-chart svg")
    expect(chart).to_be_visible()
    assert page.locator(".usage-chart rect.seg").count() >= 30 * 4
    legend = page.locator(".usage-chart .legend")
    expect(legend).to_contain_text("claude-sonnet-4-5")
    top = page.locator("#usage-top")
    expect(top.locator("tr", has_text="meta/llama-3.1-8b-instruct-maas")).to_contain_text("no price")
    expect(page.locator(".alert", has_text="user dave")).to_be_visible()
    screenshot(page, "usage-by-model")
    page.get_by_label("Split by", exact=True).select_option("user")
    page.get_by_role("button", name="Apply").click()
    expect(page.locator("#usage-top")).to_contain_text("dave")
    expect(page.locator(".usage-chart .legend")).to_contain_text("alice")
    screenshot(page, "usage-by-user")


def test_an_admin_adds_a_budget_on_the_budgets_page(page, login, usage_seeded, screenshot):
    login("alice")
    page.goto("/usage/budgets/")
    page.get_by_label("Applies to").select_option("user")
    page.get_by_label("User", exact=True).select_option(label="alice")
    page.get_by_label("Amount (USD)").fill("abc")
    page.get_by_role("button", name="Create budget").click()
    expect(page.locator("#err-amount")).to_contain_text("decimal string")
    page.console_errors.clear()  # the refused form answered 400, as it should
    page.get_by_label("Applies to").select_option("user")
    page.get_by_label("User", exact=True).select_option(label="alice")
    page.get_by_label("Amount (USD)").fill("100")
    page.get_by_role("button", name="Create budget").click()
    expect(page.locator("#budgets-table tr", has_text="user alice")).to_contain_text("$100.00")
    screenshot(page, "budgets")
