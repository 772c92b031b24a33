"""The demo key `make run` creates: every model family, pointed at the local emulator."""

from __future__ import annotations

from pathlib import Path
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


def write_demo_service_account(path: Path, *, token_uri: str) -> dict[str, Any]:
    """Create (once) a demo service-account key file under var/ with mode 0600, and point its
    token_uri at the local emulator (the emulator's port can change between runs; the key stays)."""
    import json
    import os
    import secrets

    from cryptography.hazmat.primitives import serialization
    from cryptography.hazmat.primitives.asymmetric import rsa

    if path.exists():
        info: dict[str, Any] = json.loads(path.read_text())
    else:
        key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
        pem = key.private_bytes(
            serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
        ).decode()
        email = f"gateway-demo@{DEMO_PROJECT}.iam.gserviceaccount.com"
        info = {
            "type": "service_account",
            "project_id": DEMO_PROJECT,
            "private_key_id": secrets.token_hex(20),
            "private_key": pem,
            "client_email": email,
            "client_id": str(secrets.randbelow(10**20)),
            "auth_uri": "https://accounts.google.com/o/oauth2/auth",
            "token_uri": token_uri,
            "universe_domain": "googleapis.com",
        }
    info["token_uri"] = token_uri
    path.parent.mkdir(parents=True, exist_ok=True)
    # Create with 0600 before writing the secret, never widen an existing file's mode.
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w") as handle:
        json.dump(info, handle, indent=2)
    os.chmod(path, 0o600)
    return info
