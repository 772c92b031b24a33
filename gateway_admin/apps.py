from django.apps import AppConfig


class GatewayAdminConfig(AppConfig):
    name = "gateway_admin"
    verbose_name = "Vertex Gateway Admin"
    default_auto_field = "django.db.models.BigAutoField"
