"""Secrets never leak; security headers and CSP; login throttling; production checks."""

from __future__ import annotations

import json
import logging
import os
import re
import secrets
import stat
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from cryptography.fernet import Fernet
from django.conf import settings as django_settings
from django.contrib.staticfiles import finders
from django.test import Client
from django.urls import reverse

from gateway_admin.models import ApiToken, VertexKey

pytestmark = pytest.mark.django_db

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture
def secret_key_row(admin_client: Client, service_account_factory: Any, caplog: pytest.LogCaptureFixture) -> dict:
    """A key created over the API with a freshly generated service account; returns what must never show."""
    caplog.set_level(logging.DEBUG)
    sa = service_account_factory(name="leakcheck")
    raw = json.dumps(sa)
    response = admin_client.post(
        "/api/v1/keys/",
        {
            "name": "leakcheck",
            "vertex_key_config": {
                "project_id": "my-project",
                "region": "us-central1",
                "auth_credentials": raw,
                "deployments": {"fast": "gemini-2.0-flash"},
            },
        },
        content_type="application/json",
    )
    assert response.status_code == 201
    body_lines = [line for line in sa["private_key"].splitlines() if "PRIVATE KEY" not in line]
    return {
        "id": response.json()["id"],
        "sa": sa,
        "needles": ["PRIVATE KEY", raw, body_lines[1], body_lines[-1], json.dumps(sa["private_key"])[1:60]],
        "responses": [response],
    }


def _assert_clean(text: str, needles: list[str], where: str) -> None:
    for needle in needles:
        assert needle not in text, f"{where} contains secret material {needle[:20]!r}"


def test_no_api_response_contains_the_credential(admin_client: Client, secret_key_row: dict) -> None:
    pk = secret_key_row["id"]
    responses = [
        *secret_key_row["responses"],
        admin_client.get("/api/v1/keys/"),
        admin_client.get(f"/api/v1/keys/{pk}/"),
        admin_client.get(f"/api/v1/keys/{pk}/export/"),
        admin_client.patch(f"/api/v1/keys/{pk}/", {"weight": 2}, content_type="application/json"),
        admin_client.get("/api/v1/audit-log/"),
        admin_client.get("/api/schema/"),
    ]

    for response in responses:
        assert response.status_code == 200 or response.status_code == 201
        _assert_clean(response.content.decode(), secret_key_row["needles"], response.request["PATH_INFO"])


ADMIN_PAGES = [
    "/admin/",
    "/admin/gateway_admin/vertexkey/",
    "/admin/gateway_admin/vertexkey/{pk}/change/",
    "/admin/gateway_admin/vertexkey/add/",
    "/admin/gateway_admin/deployment/",
    "/admin/gateway_admin/auditlog/",
    "/admin/gateway_admin/apitoken/",
    "/admin/gateway_admin/apitoken/add/",
]
DASHBOARD_PAGES = [("overview", False), ("key-edit", True), ("models", False), ("audit-log", False), ("settings", False), ("playground", False)]


def test_no_admin_or_dashboard_page_contains_the_credential(
    admin_client: Client, admin_user: Any, secret_key_row: dict, caplog: pytest.LogCaptureFixture
) -> None:
    pk = secret_key_row["id"]
    pages = [page.format(pk=pk) for page in ADMIN_PAGES]
    pages += [reverse(name, args=[pk] if with_pk else []) for name, with_pk in DASHBOARD_PAGES]
    audit_row = admin_client.get("/api/v1/audit-log/").json()["results"][0]["id"]
    pages.append(f"/admin/gateway_admin/auditlog/{audit_row}/change/")

    for page in pages:
        response = admin_client.get(page)
        assert response.status_code == 200, page
        _assert_clean(response.content.decode(), secret_key_row["needles"], page)
    # The admin change page shows the identity instead.
    change = admin_client.get(f"/admin/gateway_admin/vertexkey/{pk}/change/").content.decode()
    assert secret_key_row["sa"]["client_email"] in change
    _assert_clean(caplog.text, secret_key_row["needles"], "the logs")


def test_the_database_never_holds_the_credential_in_plain_text(secret_key_row: dict) -> None:
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute("SELECT * FROM gateway_admin_vertexkey")
        rows = cursor.fetchall()
        cursor.execute("SELECT changes FROM gateway_admin_auditlog")
        rows += cursor.fetchall()

    _assert_clean(repr(rows), secret_key_row["needles"], "the database")


def test_replacing_a_credential_in_the_admin_never_renders_it_back(
    admin_client: Client, admin_user: Any, secret_key_row: dict, service_account_factory: Any
) -> None:
    pk = secret_key_row["id"]
    url = f"/admin/gateway_admin/vertexkey/{pk}/change/"
    form = {
        "name": "leakcheck", "project_id": "my-project", "project_number": "", "region": "us-central1",
        "enabled": "on", "weight": "1",
        "deployments-TOTAL_FORMS": "1", "deployments-INITIAL_FORMS": "1", "deployments-MIN_NUM_FORMS": "0", "deployments-MAX_NUM_FORMS": "1000",
        "allowed_models-TOTAL_FORMS": "0", "allowed_models-INITIAL_FORMS": "0", "allowed_models-MIN_NUM_FORMS": "0", "allowed_models-MAX_NUM_FORMS": "1000",
    }
    deployment = VertexKey.objects.get(pk=pk).deployments.get()
    form["deployments-0-id"] = str(deployment.pk)
    form["deployments-0-key"] = str(pk)

    bad = {**form, "new_credentials": json.dumps({**secret_key_row["sa"], "type": "authorized_user"})}
    refused = admin_client.post(url, bad)
    assert refused.status_code == 200 and "auth_credentials" in refused.content.decode()
    _assert_clean(refused.content.decode(), secret_key_row["needles"], "the refused admin form")
    assert VertexKey.objects.get(pk=pk).credential_client_email == secret_key_row["sa"]["client_email"]

    new_sa = service_account_factory(name="replaced")
    accepted = admin_client.post(url, {**form, "new_credentials": json.dumps(new_sa)}, follow=True)
    assert accepted.status_code == 200
    assert VertexKey.objects.get(pk=pk).credential_client_email == new_sa["client_email"]
    _assert_clean(accepted.content.decode(), ["PRIVATE KEY", new_sa["private_key"].splitlines()[1]], "the admin after saving")


def test_the_token_admin_shows_a_new_token_once(admin_client: Client, admin_user: Any) -> None:

    response = admin_client.post(
        "/admin/gateway_admin/apitoken/add/", {"user": admin_user.pk, "name": "from-admin", "scopes": "gemini-2.0-flash"}, follow=True
    )

    token = ApiToken.objects.get(name="from-admin")
    raw = re.search(r"vga_[A-Za-z0-9_\-]{43}", response.content.decode()).group(0)
    assert raw.startswith(token.prefix) and token.model_scopes == ["gemini-2.0-flash"]
    assert raw not in admin_client.get(f"/admin/gateway_admin/apitoken/{token.pk}/change/").content.decode()
    assert raw not in admin_client.get("/admin/gateway_admin/apitoken/").content.decode()


def test_developers_cannot_use_the_django_admin(developer_user: Any, developer_client: Client) -> None:
    developer_user.is_staff = True
    developer_user.save()

    assert developer_client.get("/admin/gateway_admin/vertexkey/").status_code == 403


@pytest.mark.parametrize("path", ["/login/", "/api/v1/keys/"])
def test_pages_and_api_answers_carry_security_headers(client: Client, path: str) -> None:
    response = client.get(path)

    csp = response.headers["Content-Security-Policy"]
    assert "default-src 'self'" in csp and "object-src 'none'" in csp and "frame-ancestors 'none'" in csp
    assert "unsafe-inline" not in csp.split("script-src", 1)[1].split(";", 1)[0]
    assert response.headers["X-Frame-Options"] == "DENY"
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    assert response.headers["Referrer-Policy"] == "same-origin"
    assert response.headers["Cross-Origin-Opener-Policy"] == "same-origin"


def test_the_csp_nonce_is_a_real_nonce_or_absent_never_a_placeholder(client: Client) -> None:
    from csp.middleware import CSPMiddleware
    from django.http import HttpResponse
    from django.template import engines
    from django.test import RequestFactory

    template = engines["django"].from_string('<script nonce="{{ request.csp_nonce }}">1</script>')

    def view(request: Any) -> HttpResponse:
        return HttpResponse(template.render({}, request))

    request = RequestFactory().get("/")
    response = CSPMiddleware(view)(request)
    nonce = re.search(r'nonce="([^"]+)"', response.content.decode()).group(1)

    assert f"'nonce-{nonce}'" in response.headers["Content-Security-Policy"]
    for page in ("/login/", "/api/docs/"):
        assert "'nonce'" not in client.get(page).headers["Content-Security-Policy"]


def test_the_api_docs_page_works_offline(client: Client) -> None:
    page = client.get("/api/docs/")

    assert page.status_code == 200
    html = page.content.decode()
    sources = re.findall(r'(?:src|href)="([^"]+)"', html)
    assert sources and all(not s.startswith(("http:", "https:", "//")) for s in sources), sources
    for source in sources:
        if source.startswith(django_settings.STATIC_URL) or source.startswith("/" + django_settings.STATIC_URL):
            assert finders.find(source.split("static/", 1)[1]), source
    assert "<script>" not in html  # the init script is a same-origin file, so CSP needs no inline script
    script = client.get("/api/docs/?script=")
    assert script.status_code == 200 and "SwaggerUIBundle" in script.content.decode()


def test_the_schema_documents_the_error_format_and_bearer_auth(client: Client) -> None:
    schema = client.get("/api/schema/", HTTP_ACCEPT="application/json").json()

    assert schema["components"]["securitySchemes"]["bearerAuth"] == {
        "type": "http", "scheme": "bearer", "description": schema["components"]["securitySchemes"]["bearerAuth"]["description"]
    }
    create = schema["paths"]["/api/v1/keys/"]["post"]
    assert create["responses"]["400"]["content"]["application/json"]["schema"]["$ref"].endswith("/Error")
    assert "auth_credentials" not in json.dumps(schema["components"]["schemas"]["Key"])


def _login(client: Client, password: str) -> Any:
    return client.post(reverse("login"), {"username": "dave-dev", "password": password})


def test_login_is_locked_after_repeated_failures(developer_user: Any, settings: Any) -> None:
    from tests.fixtures.django_data import PASSWORD

    client = Client()
    for _ in range(settings.AXES_FAILURE_LIMIT):
        assert "_auth_user_id" not in client.session
        _login(client, "wrong-password")

    locked = _login(client, PASSWORD)

    assert locked.status_code == 429
    assert "_auth_user_id" not in client.session
    assert _login(Client(), PASSWORD).status_code == 429  # same user from the same address


def test_a_correct_login_works_before_the_limit(developer_user: Any, settings: Any) -> None:
    from tests.fixtures.django_data import PASSWORD

    client = Client()
    for _ in range(settings.AXES_FAILURE_LIMIT - 1):
        _login(client, "wrong-password")

    response = _login(client, PASSWORD)

    assert response.status_code == 302
    assert client.session["_auth_user_id"] == str(developer_user.pk)


PRODUCTION_ENV = {
    "DEBUG": "0",
    "SECRET_KEY": secrets.token_urlsafe(64),
    "SECURE_SSL_REDIRECT": "1",
    "SESSION_COOKIE_SECURE": "1",
    "CSRF_COOKIE_SECURE": "1",
    "SECURE_HSTS_SECONDS": "31536000",
    "SECURE_HSTS_INCLUDE_SUBDOMAINS": "1",
    "SECURE_HSTS_PRELOAD": "1",
    "ALLOWED_HOSTS": "gateway.example.com",
}


@pytest.mark.slow
def test_the_deploy_check_is_clean_under_production_settings(tmp_path: Path) -> None:
    env = {**os.environ, **PRODUCTION_ENV, "VAR_DIR": str(tmp_path), "CREDENTIAL_KEYS": Fernet.generate_key().decode()}
    env.pop("DJANGO_SETTINGS_MODULE", None)

    result = subprocess.run(
        [sys.executable, "manage.py", "check", "--deploy", "--fail-level", "WARNING"],
        cwd=ROOT, env=env, capture_output=True, text=True, timeout=120,
    )

    assert result.returncode == 0, result.stdout + result.stderr
    assert "no issues" in result.stdout


def test_the_deploy_check_flags_development_settings(tmp_path: Path) -> None:
    env = {**os.environ, "DEBUG": "1", "SECRET_KEY": "short", "VAR_DIR": str(tmp_path)}

    result = subprocess.run(
        [sys.executable, "manage.py", "check", "--deploy", "--fail-level", "WARNING"],
        cwd=ROOT, env=env, capture_output=True, text=True, timeout=120,
    )

    assert result.returncode != 0
    assert "security.W018" in result.stderr  # DEBUG on


def test_the_embedded_state_is_readable_by_its_owner_only(tmp_path: Path) -> None:
    var = tmp_path / "var"
    env = {k: v for k, v in os.environ.items() if k not in ("DATABASE_URL", "DJANGO_SETTINGS_MODULE")}
    env.update(VAR_DIR=str(var), PYTHONPATH=str(ROOT))
    script = (
        "import django, os; os.environ['DJANGO_SETTINGS_MODULE'] = 'gateway_admin.settings'; django.setup()\n"
        "from django.core.management import call_command; call_command('migrate', verbosity=0)\n"
        "from django.contrib.sessions.backends.db import SessionStore; s = SessionStore(); s['x'] = 1; s.save()\n"
        "from django.db import connection; assert connection.vendor == 'sqlite'\n"
        "import json, stat; var = os.environ['VAR_DIR']\n"
        "print(json.dumps({n: stat.S_IMODE(os.stat(os.path.join(var, n)).st_mode) for n in os.listdir(var)\n"
        "                  if os.path.isfile(os.path.join(var, n))}))\n"
    )
    result = subprocess.run([sys.executable, "-c", script], cwd=tmp_path, env=env, capture_output=True, text=True,
                            timeout=120)
    assert result.returncode == 0, result.stdout + result.stderr
    modes = json.loads(result.stdout.strip().splitlines()[-1])  # taken while the database was open

    assert stat.S_IMODE(var.stat().st_mode) == 0o700
    assert {"db.sqlite3", "db.sqlite3-wal", "db.sqlite3-shm", "secret_key", "credential_key"} <= set(modes)
    assert {name: oct(mode) for name, mode in modes.items() if mode != 0o600} == {}
