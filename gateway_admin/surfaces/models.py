"""Model names of the native dialects (Anthropic Messages, the Vertex pass-through).

Their clients name models three ways: a gateway alias (`claude-fast`), a Vertex model id
(`claude-sonnet-4-5@20250929`, what AnthropicVertex and Claude Code in Vertex mode send) or
Anthropic's own id (`claude-sonnet-4-5-20250929`, a `[1m]` suffix possible: what the anthropic SDK
and Claude Code in Anthropic mode send). Routing maps each to the alias of the deployment that
serves it (`Router.resolve_model`); the token's scopes and the model's existence are then checked
on that alias by the pipeline, exactly as for /v1.
"""

from __future__ import annotations

from gateway_admin.pipeline import GatewayCall, gateway_state
from gateway_admin.pipeline.state import normalise_model_id


async def resolve_native_model(call: GatewayCall, name: object) -> str:
    """The alias `name` resolves to, checked for the caller (GatewayError 400/403/404); sets
    `call.model` and `call.router`. The caller's own name still goes to routing, which adds the
    betas a name implies (`[1m]`: the 1M-token context window)."""
    model = normalise_model_id(name)
    state = await gateway_state()
    alias, _betas = state.router.resolve_model(model)
    return await call.resolve(alias)
