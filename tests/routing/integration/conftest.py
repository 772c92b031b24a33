"""Routers wired to the real emulator over HTTP, with fast retry policies and fresh caches."""

from __future__ import annotations

import pytest

from routing import transport
from routing.auth import TokenCache
from routing.catalog import Catalog, LearnedAvailability
from routing.config import Deployment, KeyConfig
from routing.retry import Cooldowns, RetryPolicy
from routing.router import Router

FAST = RetryPolicy(backoff_initial=0.001, backoff_max=0.005, retry_after_cap=0.05)


def make_key(vertex, *, key_id: str = "k1", name: str = "Key one", region: str = "us-central1",
             deployments: dict[str, str] | None = None, deployment_regions: dict[str, str] | None = None,
             allowed: tuple[str, ...] = (), weight: int = 1, credentials: str | None = None,
             region_failover: str | None = "geography") -> KeyConfig:
    """A KeyConfig on the emulator. region_failover=None leaves KeyConfig's own default ("any")."""
    deployments = deployments if deployments is not None else {}
    regions = deployment_regions or {}
    return KeyConfig(
        key_id=key_id, name=name, project_id=vertex.project_id, region=region,
        project_number="123456789012",
        credentials=vertex.service_account_json if credentials is None else credentials,
        deployments=tuple(Deployment(alias=a, target=t, region=regions.get(a)) for a, t in deployments.items()),
        allowed_models=allowed, weight=weight, allowed_token_uris=(vertex.token_uri,),
        **({} if region_failover is None else {"region_failover": region_failover}),
    )


@pytest.fixture
async def fresh_transport():
    yield
    await transport.aclose()


@pytest.fixture
def tokens() -> TokenCache:
    return TokenCache()


@pytest.fixture
def router_for(vertex, tokens, fresh_transport):
    """router_for(*keys, policy=FAST) -> a Router on the emulator with its own catalog and cooldowns."""

    def build(*keys: KeyConfig, policy: RetryPolicy = FAST, catalog: Catalog | None = None) -> Router:
        return Router(list(keys), base_url=vertex.base_url, tokens=tokens, policy=policy,
                      catalog=catalog or Catalog(learned=LearnedAvailability()), cooldowns=Cooldowns())

    return build
