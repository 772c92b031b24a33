"""The OpenAPI schema matches what the config API answers (schemathesis, in process over WSGI)."""

from __future__ import annotations

import os
from collections.abc import Iterator
from typing import Any

import pytest
import schemathesis
from django.core.signals import request_finished, request_started
from django.core.wsgi import get_wsgi_application
from django.db import close_old_connections
from hypothesis import HealthCheck, given, settings
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_schema_conformance,
    status_code_conformance,
)

# The foundation's operations; the other areas' /api/v1 routes are covered by their own schema tests.
MY_PATHS = r"^/api/v1/(keys/(\{id\}/(export/)?|import/)?|tokens/.*|users/.*|audit-log/.*)$"
# Kept small for the suite; raise it (SCHEMATHESIS_EXAMPLES=200) for a deeper hunt.
EXAMPLES = int(os.environ.get("SCHEMATHESIS_EXAMPLES", "10"))
CHECKS = [not_a_server_error, status_code_conformance, content_type_conformance, response_schema_conformance]

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _keep_the_test_connection_open() -> Iterator[None]:
    """Calling the WSGI app directly fires request_started/finished, whose close_old_connections would
    close the test transaction's connection on PostgreSQL; Django's own test client disconnects them too."""
    request_started.disconnect(close_old_connections)
    request_finished.disconnect(close_old_connections)
    yield
    request_started.connect(close_old_connections)
    request_finished.connect(close_old_connections)


def _operations() -> list[Any]:
    schema = schemathesis.openapi.from_wsgi("/api/schema/?format=json", get_wsgi_application())
    return [result.ok() for result in schema.include(path_regex=MY_PATHS).get_all_operations()]


def test_the_schema_covers_every_config_operation() -> None:
    names = {f"{op.method.upper()} {op.path}" for op in _operations()}

    assert {
        "GET /api/v1/keys/", "POST /api/v1/keys/", "GET /api/v1/keys/{id}/", "PUT /api/v1/keys/{id}/",
        "PATCH /api/v1/keys/{id}/", "DELETE /api/v1/keys/{id}/", "POST /api/v1/keys/import/",
        "GET /api/v1/keys/{id}/export/", "GET /api/v1/tokens/", "POST /api/v1/tokens/",
        "POST /api/v1/tokens/{id}/revoke/", "GET /api/v1/users/", "POST /api/v1/users/",
        "PATCH /api/v1/users/{id}/", "GET /api/v1/audit-log/", "GET /api/v1/audit-log/{id}/",
    } <= names


@pytest.mark.slow
def test_every_answer_matches_the_schema(admin_token: str, demo_key: Any) -> None:
    headers = {"Authorization": f"Bearer {admin_token}"}
    for operation in _operations():

        @given(case=operation.as_strategy())
        @settings(max_examples=EXAMPLES, deadline=None, database=None, suppress_health_check=list(HealthCheck))
        def check(case: Any) -> None:
            case.call_and_validate(headers=headers, checks=CHECKS)

        check()
