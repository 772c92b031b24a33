"""The demo key `make run` creates: every model family, pointed at the local emulator."""

from __future__ import annotations

from typing import Any

DEMO_KEY_NAME = "demo"
DEMO_PROJECT = "demo-project"
DEMO_REGION = "us-central1"

DEMO_DEPLOYMENTS: dict[str, str] = {
    "gemini-2.0-flash": "gemini-2.0-flash",
    "gemini-2.5-pro": "gemini-2.5-pro",
    "claude-sonnet-4-5": "claude-sonnet-4-5@20250929",
    "claude-3-5-haiku": "claude-3-5-haiku@20241022",
    "text-embedding-005": "text-embedding-005",
    "mistral-small": "mistral-small-2503",
    "llama-3.3-70b": "meta/llama-3.3-70b-instruct-maas",
}
# Claude 3.5 Haiku is not served in us-central1; Claude Code's override sends it to us-east5.
DEMO_DEPLOYMENT_REGIONS: dict[str, str] = {"claude-3-5-haiku": "us-east5"}


def demo_config(service_account_json: str) -> dict[str, Any]:
    return {
        "project_id": DEMO_PROJECT,
        "region": DEMO_REGION,
        "auth_credentials": service_account_json,
        "deployments": dict(DEMO_DEPLOYMENTS),
        "deployment_regions": dict(DEMO_DEPLOYMENT_REGIONS),
        "allowedModels": [],
    }
