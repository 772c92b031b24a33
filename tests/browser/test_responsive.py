"""On a phone-sized screen every page fits the width (tables scroll inside their card), and the
navigation is reachable from the keyboard."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect

pytestmark = pytest.mark.browser

PAGES = ["/", "/keys/new/", "/models/", "/playground/", "/logs/requests/", "/logs/audit/", "/settings/"]


def test_pages_fit_a_phone_screen(page, login, screenshot):
    login("alice")
    page.set_viewport_size({"width": 390, "height": 844})
    for path in PAGES:
        page.goto(path)
        overflow = page.evaluate("document.documentElement.scrollWidth - window.innerWidth")
        widest = page.evaluate("""() => [...document.querySelectorAll('body *')]
            .filter(e => e.getBoundingClientRect().right > window.innerWidth + 1)
            .slice(0, 5).map(e => e.tagName + '.' + e.className + ' ' + Math.round(e.getBoundingClientRect().right))""")
        assert overflow <= 1, f"{path} is {overflow}px wider than the screen: {widest}"
    page.goto("/playground/")
    screenshot(page, "mobile-playground")
    page.goto("/")
    screenshot(page, "mobile-overview")


def test_the_skip_link_and_navigation_work_from_the_keyboard(page, login):
    login("alice")
    page.keyboard.press("Tab")
    skip = page.get_by_role("link", name="Skip to content")
    expect(skip).to_be_focused()
    page.keyboard.press("Tab")
    expect(page.get_by_role("link", name="Vertex Gateway")).to_be_focused()
    page.keyboard.press("Tab")
    expect(page.get_by_role("navigation").get_by_role("link", name="Keys overview")).to_be_focused()
    page.keyboard.press("Tab")
    page.keyboard.press("Tab")
    page.keyboard.press("Enter")
    expect(page).to_have_url(re.compile(r"/playground/$"))
