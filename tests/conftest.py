"""Shared fixtures. Each area keeps its fixtures in tests/fixtures/<area>.py and lists it here.

routing's tests need no Django and run with `-p no:django` (as `make test` runs them): the Django
fixture modules import Django only inside the fixtures, which routing's tests never request."""

import pytest

pytest_plugins = [
    "tests.fixtures.service_account",
    "tests.fixtures.emulator",
    "tests.fixtures.django_data",
    "tests.fixtures.gateway",
    "tests.fixtures.native_clients",
    "tests.fixtures.oidc",
]


@pytest.fixture(autouse=True)
def _forget_routing_process_state():
    """Routing keeps per-process state on purpose (availability learned from 404s, cooldowns).

    Tests share one process, so each test starts without what earlier tests taught it.
    """
    from routing.catalog import LEARNED
    from routing.retry import COOLDOWNS

    LEARNED.clear()
    COOLDOWNS.clear()
    yield
