"""/oidc/: the identity provider's sign-in start and callback (404 when OIDC_ISSUER is not set)."""

from django.urls import path

from gateway_admin.sso import views

urlpatterns = [
    path("authenticate/", views.OIDCStartView.as_view(), name="oidc-start"),
    path("callback/", views.OIDCCallbackView.as_view(), name="oidc-callback"),
]
