"""routing's tests run with plain pytest (`-p no:django`, as `make test` runs them): then nothing
they import may load Django (STYLE.md habit 1), checked when the session ends."""

import sys

import pytest


def pytest_sessionfinish(session: pytest.Session, exitstatus: int) -> None:
    if session.config.pluginmanager.hasplugin("django"):
        return  # run together with the app's tests: Django is loaded by them
    loaded = sorted(name for name in sys.modules if name == "django" or name.startswith("django."))
    if loaded:
        session.exitstatus = pytest.ExitCode.TESTS_FAILED
        raise pytest.UsageError(f"routing's tests imported Django: {loaded[:5]}")
