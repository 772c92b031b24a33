from django.apps import AppConfig


class GatewayAdminConfig(AppConfig):
    name = "gateway_admin"
    verbose_name = "Vertex Gateway Admin"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        # Token mints are counted in /metrics; routing only knows a plain callback.
        from gateway_admin.metrics import metrics_token_mint
        from routing.observers import TOKEN_MINT_OBSERVERS

        def observe(key_name: str, ok: bool) -> None:
            metrics_token_mint(key=key_name, ok=ok)

        if not any(getattr(o, "__qualname__", "").endswith("ready.<locals>.observe") for o in TOKEN_MINT_OBSERVERS):
            TOKEN_MINT_OBSERVERS.append(observe)
