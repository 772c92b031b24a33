"""Sign-in through a real OpenID provider (the certified oidc-provider package on loopback, run by
tests/oidc/provider.mjs): roles from its groups at every sign-in, the no-access page, sign-out
through the provider's end-session endpoint. Password sign-in is off here (superusers only)."""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

import httpx
import pytest
from playwright.sync_api import expect

from tests.browser.conftest import App, free_port, running_app
from tests.browser.seed_app import PASSWORD
from tests.fixtures.oidc import CLIENT_ID, CLIENT_SECRET, NodeProvider, node_oidc_provider

pytestmark = pytest.mark.browser

USERS = {
    "ada": {"email": "ada@example.org", "name": "Ada Admin", "groups": ["staff", "gw-admins"]},
    "devon": {"email": "devon@example.org", "name": "Devon Dev", "groups": ["gw-devs"]},
    "nora": {"email": "nora@example.org", "name": "Nora Sales", "groups": ["sales"]},
}


@dataclass
class SSO:
    app: App
    provider: NodeProvider


@pytest.fixture(scope="module")
def sso(tmp_path_factory: pytest.TempPathFactory, emulator: Any) -> Iterator[SSO]:
    work = tmp_path_factory.mktemp("sso")
    port = free_port()
    app_base_url = f"http://127.0.0.1:{port}"
    with node_oidc_provider(work, app_base_url=app_base_url, users=USERS) as provider:
        env = {
            "OIDC_ISSUER": provider.issuer, "OIDC_CLIENT_ID": CLIENT_ID, "OIDC_CLIENT_SECRET": CLIENT_SECRET,
            "OIDC_ADMIN_GROUPS": "gw-admins", "OIDC_DEVELOPER_GROUPS": "gw-devs",
            "OIDC_ALLOWED_DOMAINS": "example.org", "OIDC_PROVIDER_NAME": "Test IdP", "LOCAL_LOGIN_ENABLED": "0",
        }
        var = work / "app"
        var.mkdir()
        with running_app(var, emulator, extra_env=env, port=port) as app:
            yield SSO(app, provider)


@pytest.fixture
def sso_page(browser: Any, sso: SSO, vertex: Any) -> Iterator[Any]:
    """A fresh browser (no provider session either) on the app; anything not on loopback is refused.
    Console errors of the app's own pages fail the test; the provider's pages are not ours."""
    context = browser.new_context(base_url=sso.app.base_url, viewport={"width": 1360, "height": 900})
    context.set_default_timeout(15_000)
    context.route("**/*", lambda route: route.continue_() if urlsplit(route.request.url).hostname == "127.0.0.1"
                  else route.abort())
    page = context.new_page()
    errors: list[str] = []
    page.on("pageerror", lambda exc: errors.append(str(exc)) if page.url.startswith(sso.app.base_url) else None)
    page.on("console", lambda msg: errors.append(msg.text)
            if msg.type == "error" and msg.location.get("url", "").startswith(sso.app.base_url) else None)
    page.console_errors = errors  # a test that expects an error page clears what it expected
    yield page
    context.close()
    vertex.reset()
    errors = [e for e in errors if "invalid source: ''nonce''" not in e]
    assert not errors, f"browser console errors: {errors}"


def sign_in(page: Any, sso: SSO, login: str) -> None:
    page.goto("/login/")
    page.get_by_role("link", name="Sign in with Test IdP").click()
    expect(page).to_have_url(re.compile("^" + re.escape(sso.provider.issuer) + "/interaction/"))
    page.locator("input[name=login]").fill(login)
    page.locator("input[name=password]").fill("any password")
    page.get_by_role("button", name="Sign-in").click()
    page.wait_for_url(lambda url: "/interaction/" in url or url.startswith(sso.app.base_url))
    if page.url.startswith(sso.provider.issuer):
        page.get_by_role("button", name="Continue").click()  # the provider's consent
    page.wait_for_url(lambda url: url.startswith(sso.app.base_url))
    page.wait_for_load_state()


def test_the_login_page_offers_the_provider_and_keeps_the_password_form_for_superusers(sso_page, sso, screenshot):
    sso_page.goto("/login/")
    expect(sso_page.get_by_role("link", name="Sign in with Test IdP")).to_be_visible()
    expect(sso_page.get_by_label("Password")).to_have_count(0)
    screenshot(sso_page, "login-sso")
    sso_page.get_by_role("link", name="Sign in with a password").click()
    sso_page.get_by_label("Username").fill("dave")  # a seeded developer with a password
    sso_page.get_by_label("Password").fill(PASSWORD)
    sso_page.get_by_role("button", name="Sign in", exact=True).click()
    expect(sso_page.get_by_role("alert")).to_contain_text("Password sign-in is for superusers only here")


def test_a_user_in_the_admin_group_lands_as_admin(sso_page, sso, screenshot):
    sign_in(sso_page, sso, "ada")
    expect(sso_page).to_have_url(sso.app.url("/"))
    expect(sso_page.get_by_role("heading", name="Keys overview")).to_be_visible()
    expect(sso_page.locator("#keys-table")).to_contain_text("emulator-us")
    screenshot(sso_page, "sso-admin-overview")


def test_a_user_in_the_developer_group_lands_as_developer(sso_page, sso):
    sign_in(sso_page, sso, "devon")
    expect(sso_page).to_have_url(sso.app.url("/playground/"))
    sso_page.goto("/keys/new/")
    expect(sso_page.get_by_role("heading", name="You can't open this page")).to_be_visible()
    expect(sso_page.get_by_text("Your role, developer, does not allow it")).to_be_visible()
    sso_page.console_errors.clear()  # the 403 itself


def test_a_user_in_neither_group_sees_the_no_access_page(sso_page, sso, screenshot):
    sign_in(sso_page, sso, "nora")
    expect(sso_page.get_by_role("heading", name="No access")).to_be_visible()
    expect(sso_page.get_by_role("alert")).to_contain_text("nora@example.org")
    screenshot(sso_page, "sso-no-access")
    sso_page.console_errors.clear()  # the 403 itself
    sso_page.goto("/playground/")
    expect(sso_page).to_have_url(re.compile(r"/login/\?next=/playground/"))


def test_a_user_moved_out_of_the_admin_group_is_a_developer_next_time_and_their_token_loses_admin_calls(
        browser, sso_page, sso):
    sign_in(sso_page, sso, "ada")
    sso_page.get_by_role("navigation").get_by_role("link", name="Settings").click()
    sso_page.get_by_label("Name", exact=True).fill("ada-cli")
    sso_page.get_by_role("button", name="Create token").click()
    raw = sso_page.locator("#new-token-value").inner_text().strip()
    headers = {"Authorization": f"Bearer {raw}"}
    assert httpx.get(sso.app.url("/api/v1/keys/"), headers=headers, timeout=10).status_code == 200

    # Sign-out goes through the provider's end-session page and back to the login page.
    sso_page.get_by_role("button", name="Sign out").click()
    expect(sso_page).to_have_url(re.compile("^" + re.escape(sso.provider.issuer) + "/session/end"))
    sso_page.get_by_role("button", name="Yes, sign me out").click()
    expect(sso_page).to_have_url(sso.app.url("/login/"))

    sso.provider.set_users({**USERS, "ada": {**USERS["ada"], "groups": ["staff", "gw-devs"]}})
    try:
        sign_in(sso_page, sso, "ada")
        expect(sso_page).to_have_url(sso.app.url("/playground/"))
        answer = httpx.get(sso.app.url("/api/v1/keys/"), headers=headers, timeout=10)
        assert answer.status_code == 403, answer.text
        assert httpx.get(sso.app.url("/api/v1/models/"), headers=headers, timeout=10).status_code == 200
    finally:
        sso.provider.set_users(USERS)
