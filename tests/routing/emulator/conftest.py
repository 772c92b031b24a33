"""Helpers for the emulator's own tests: an httpx client that carries a freshly minted bearer token."""

from __future__ import annotations

from collections.abc import Iterator

import google.auth.transport.requests
import httpx
import pytest
from google.oauth2 import service_account

SCOPES = ["https://www.googleapis.com/auth/cloud-platform"]


def vertex_path(model: str, method: str, *, region: str = "us-central1", publisher: str = "google",
                project: str = "demo-project") -> str:
    return f"/v1/projects/{project}/locations/{region}/publishers/{publisher}/models/{model}:{method}"


@pytest.fixture
def api(vertex) -> Iterator[httpx.Client]:
    """An httpx client on the emulator with `Authorization: Bearer <token minted through /token>`."""
    credentials = service_account.Credentials.from_service_account_info(vertex.service_account, scopes=SCOPES)
    credentials.refresh(google.auth.transport.requests.Request())
    with httpx.Client(
        base_url=vertex.base_url, headers={"Authorization": f"Bearer {credentials.token}"}, timeout=10
    ) as client:
        yield client
