import os
from typing import Any

from django.apps import AppConfig
from django.db.backends.signals import connection_created

_tightened: set[str] = set()


def _sqlite_files_owner_only(sender: Any, connection: Any, **kwargs: Any) -> None:
    """SQLite creates its file with the umask's mode (often 0644); it holds session keys and
    request bodies. Its -wal and -shm files take the database file's mode when SQLite creates them."""
    if connection.vendor != "sqlite" or connection.is_in_memory_db():
        return
    name = str(connection.settings_dict["NAME"])
    if name in _tightened and os.path.exists(f"{name}-wal"):
        return  # a connection per request: pay the chmods once
    _tightened.add(name)
    for path in (name, f"{name}-wal", f"{name}-shm"):
        try:
            os.chmod(path, 0o600)
        except FileNotFoundError:
            pass


class GatewayAdminConfig(AppConfig):
    name = "gateway_admin"
    verbose_name = "Vertex Gateway Admin"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        # Importing the bridge connects its invalidation receivers; the transport takes the
        # VERTEX_* settings before any client exists.
        from gateway_admin import routing_config

        routing_config.configure_transport()
        connection_created.connect(_sqlite_files_owner_only, dispatch_uid="sqlite-files-owner-only")
        from routing.retry import COOLDOWNS

        from .key_cooldowns import CacheKeyCooldowns

        # Keys put aside for a broken credential are put aside in every web process.
        COOLDOWNS.shared = CacheKeyCooldowns()
        # Token mints are counted in /metrics; routing only knows a plain callback.
        from gateway_admin.metrics import metrics_token_mint
        from routing.observers import TOKEN_MINT_OBSERVERS

        def observe(key_name: str, ok: bool) -> None:
            metrics_token_mint(key=key_name, ok=ok)

        if not any(getattr(o, "__qualname__", "").endswith("ready.<locals>.observe") for o in TOKEN_MINT_OBSERVERS):
            TOKEN_MINT_OBSERVERS.append(observe)
