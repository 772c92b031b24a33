"""List Models (`GET .../models?pageSize&pageToken`): custom models only, paginated like Vertex.

Seeded with demo data for demo-project in us-central1 (some deployed to endpoints, some not) and
replaced per (project, region) through the control API.
"""

from __future__ import annotations

import base64
import binascii
import copy
from typing import Any

from .errors import google_error
from .server import Reply, json_reply

DEFAULT_PAGE_SIZE = 100
MAX_PAGE_SIZE = 100


def _model(project: str, region: str, model_id: str, name: str, endpoint: str | None) -> dict[str, Any]:
    model: dict[str, Any] = {
        "name": f"projects/{project}/locations/{region}/models/{model_id}",
        "displayName": name,
        "versionId": "1",
        "versionAliases": ["default"],
        "createTime": "2026-01-12T09:30:00.000000Z",
        "updateTime": "2026-01-12T10:02:11.000000Z",
        "supportedDeploymentResourcesTypes": ["DEDICATED_RESOURCES"],
        "labels": {"google-vertex-llm-tuning-base-model-id": "gemini-2_0-flash-001"},
    }
    if endpoint is not None:
        model["deployedModels"] = [
            {
                "endpoint": f"projects/{project}/locations/{region}/endpoints/{endpoint}",
                "deployedModelId": str(int(endpoint) % 10**10 + 1),
            }
        ]
    return model


def demo_models() -> dict[tuple[str, str], list[dict[str, Any]]]:
    """Default custom models: three deployed to endpoints, two not deployed."""
    project, region = "123456789012", "us-central1"
    models = [
        _model(project, region, "7001", "support-tuned-gemini", "1234567890"),
        _model(project, region, "7002", "claims-classifier", "2345678901"),
        _model(project, region, "7003", "legal-summariser", "3456789012"),
        _model(project, region, "7004", "draft-experiment", None),
        _model(project, region, "7005", "retired-faq-bot", None),
    ]
    return {("demo-project", region): models, (project, region): models}


class ModelStore:
    def __init__(self) -> None:
        self.models = demo_models()

    def reset(self) -> None:
        self.models = demo_models()

    def set(self, project: str, region: str, models: list[dict[str, Any]]) -> None:
        filled = []
        for i, model in enumerate(models):
            model = copy.deepcopy(model)
            model.setdefault("name", f"projects/{project}/locations/{region}/models/{9000 + i}")
            model.setdefault("displayName", model["name"].rsplit("/", 1)[-1])
            filled.append(model)
        self.models[(project, region)] = filled

    def list(self, project: str, region: str, query: dict[str, str]) -> Reply:
        models = self.models.get((project, region), [])
        try:
            size = int(query.get("pageSize") or DEFAULT_PAGE_SIZE)
        except ValueError:
            return google_error(400, "Invalid value for pageSize: must be an integer.")
        if size <= 0:
            size = DEFAULT_PAGE_SIZE
        size = min(size, MAX_PAGE_SIZE)
        start = 0
        token = query.get("pageToken")
        if token:
            try:
                start = int(base64.urlsafe_b64decode(token.encode() + b"==").decode().removeprefix("offset:"))
            except (ValueError, binascii.Error, UnicodeDecodeError):
                return google_error(400, "Invalid page token.")
            if start < 0 or start > len(models):
                return google_error(400, "Invalid page token.")
        page = models[start : start + size]
        body: dict[str, Any] = {"models": page} if page else {}
        if start + size < len(models):
            body["nextPageToken"] = base64.urlsafe_b64encode(f"offset:{start + size}".encode()).decode().rstrip("=")
        return json_reply(body)
