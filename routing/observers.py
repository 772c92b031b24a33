"""Callbacks an application registers to observe routing events (e.g. metrics), so that routing
imports neither Django nor a metrics library.

    TOKEN_MINT_OBSERVERS.append(fn)   # fn(key_name: str, ok: bool), called once per OAuth token mint

An observer that raises is ignored: observing must never fail a call.
"""

from __future__ import annotations

from collections.abc import Callable

TOKEN_MINT_OBSERVERS: list[Callable[[str, bool], None]] = []


def notify_token_mint(key_name: str, ok: bool) -> None:
    for observer in list(TOKEN_MINT_OBSERVERS):
        try:
            observer(key_name, ok)
        except Exception:  # noqa: S112 - an observer's bug must not fail the mint
            continue
