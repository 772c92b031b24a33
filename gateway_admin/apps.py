from django.apps import AppConfig


class GatewayAdminConfig(AppConfig):
    name = "gateway_admin"
    verbose_name = "Vertex Gateway Admin"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        # Importing the bridge connects its invalidation receivers; the transport takes the
        # VERTEX_* settings before any client exists.
        from gateway_admin import routing_config

        routing_config.configure_transport()
