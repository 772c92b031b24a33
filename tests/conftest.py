"""Shared fixtures. Each area keeps its fixtures in tests/fixtures/<area>.py and lists it here."""

pytest_plugins = [
    "tests.fixtures.service_account",
    "tests.fixtures.emulator",
    "tests.fixtures.django_data",
    "tests.fixtures.gateway",
]
