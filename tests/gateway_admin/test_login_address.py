"""Login throttling counts the real client address: X-Forwarded-For is only believed from trusted proxies."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import httpx
import pytest
from axes.models import AccessAttempt
from django.test import Client

from tests.fixtures.django_data import PASSWORD

pytestmark = pytest.mark.django_db
ROOT = Path(__file__).resolve().parents[2]


def _live_login(http: httpx.Client, password: str, forwarded_for: str) -> httpx.Response:
    page = http.get("/login/")
    token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', page.text).group(1)
    return http.post(
        "/login/",
        data={"csrfmiddlewaretoken": token, "username": "dave-dev", "password": password},
        headers={"X-Forwarded-For": forwarded_for, "Referer": str(http.base_url) + "/login/"},
    )


@pytest.mark.parametrize("forwarded", ["10.9.0.{i}", "10.9.2.{i}, 127.0.0.1"])
def test_a_changing_forwarded_for_header_does_not_escape_the_lockout(
    live_v1: Any, developer_user: Any, settings: Any, forwarded: str
) -> None:
    with httpx.Client(base_url=live_v1.url, timeout=30) as http:
        statuses = [_live_login(http, "wrong-password", forwarded.format(i=i)).status_code for i in range(12)]
        assert 429 in statuses, statuses
        assert statuses.index(429) == settings.AXES_FAILURE_LIMIT - 1  # the failure that reaches the limit locks
        right = _live_login(http, PASSWORD, forwarded.format(i=99))
    assert right.status_code == 429
    assert "sessionid" not in http.cookies


def test_the_launcher_does_not_let_uvicorn_rewrite_the_client_address() -> None:
    # uvicorn trusts X-Forwarded-For from loopback by default; the app reads it itself (TRUSTED_PROXY_COUNT).
    assert '"--no-proxy-headers"' in (ROOT / "bin" / "run").read_text()


def _login(forwarded_for: str, password: str = "wrong-password", remote: str = "192.0.2.1") -> Any:
    return Client(REMOTE_ADDR=remote).post(
        "/login/", {"username": "dave-dev", "password": password}, HTTP_X_FORWARDED_FOR=forwarded_for
    )


def test_without_trusted_proxies_the_socket_address_is_counted(developer_user: Any) -> None:
    _login("10.9.0.1")
    assert list(AccessAttempt.objects.values_list("ip_address", flat=True)) == ["192.0.2.1"]


def test_behind_one_trusted_proxy_the_address_it_appended_is_counted(developer_user: Any, settings: Any) -> None:
    settings.TRUSTED_PROXY_COUNT = 1
    for i in range(settings.AXES_FAILURE_LIMIT):
        _login(f"10.9.2.{i}, 203.0.113.7")
    assert list(AccessAttempt.objects.values_list("ip_address", flat=True)) == ["203.0.113.7"]
    assert _login("10.9.2.50, 203.0.113.7", password=PASSWORD).status_code == 429
    # Another client behind the same proxy is not locked out.
    assert _login("203.0.113.8", password=PASSWORD).status_code == 302


def test_behind_two_trusted_proxies_the_outer_ones_entry_is_counted(developer_user: Any, settings: Any) -> None:
    settings.TRUSTED_PROXY_COUNT = 2
    _login("6.6.6.6, 198.51.100.4, 10.0.0.2")
    _login("10.0.0.9")  # fewer hops than proxies: not through them, so the socket's address
    assert sorted(AccessAttempt.objects.values_list("ip_address", flat=True)) == ["192.0.2.1", "198.51.100.4"]
