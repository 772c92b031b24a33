"""Sign-in pages: the login page (password form and/or the provider's button), the start of the
provider's code flow, its callback, and sign-out (ending the provider's session where it can)."""

from __future__ import annotations

import logging
from typing import Any
from urllib.parse import urlencode

import requests
from django.conf import settings
from django.contrib import auth
from django.contrib.auth import views as auth_views
from django.contrib.auth.forms import AuthenticationForm
from django.core.exceptions import SuspiciousOperation
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import render
from django.urls import reverse
from mozilla_django_oidc.views import OIDCAuthenticationCallbackView, OIDCAuthenticationRequestView

from gateway_admin.sso.claims import LoginRefused, NoAccess
from gateway_admin.sso.config import ProviderUnavailable, provider_metadata

logger = logging.getLogger(__name__)


class PasswordForm(AuthenticationForm):
    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        if not settings.LOCAL_LOGIN_ENABLED:
            self.error_messages = {
                **AuthenticationForm.error_messages,
                "invalid_login": "Password sign-in is for superusers only here; everyone else signs in with "
                                 f"{settings.OIDC_PROVIDER_NAME}.",
            }


class LoginView(auth_views.LoginView):
    template_name = "auth/login.html"
    redirect_authenticated_user = True
    authentication_form = PasswordForm

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        context = super().get_context_data(**kwargs)
        asked_for_password = self.request.method == "POST" or self.request.GET.get("local") == "1"
        context.update({
            "oidc_enabled": settings.OIDC_ENABLED,
            "provider_name": settings.OIDC_PROVIDER_NAME,
            "local_login_enabled": settings.LOCAL_LOGIN_ENABLED,
            "show_password_form": settings.LOCAL_LOGIN_ENABLED or not settings.OIDC_ENABLED or asked_for_password,
        })
        return context


def _refused(request: HttpRequest, message: str, *, status: int = 400) -> HttpResponse:
    """The page for a sign-in that did not happen; whoever was signed in in this browser is not any more."""
    if request.user.is_authenticated:
        auth.logout(request)
    logger.warning("sign-in with %s refused: %s", settings.OIDC_PROVIDER_NAME, message)
    return render(request, "auth/sso_refused.html",
                  {"message": message, "provider_name": settings.OIDC_PROVIDER_NAME}, status=status)


class OIDCStartView(OIDCAuthenticationRequestView):
    """Redirect to the provider's authorization endpoint with state, nonce and a PKCE challenge."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        # The endpoint comes from discovery at request time, not from settings at import.
        super(OIDCAuthenticationRequestView, self).__init__(*args, **kwargs)
        self.OIDC_RP_CLIENT_ID = settings.OIDC_CLIENT_ID
        self.OIDC_OP_AUTH_ENDPOINT = ""

    def get(self, request: HttpRequest) -> HttpResponse:
        if not settings.OIDC_ENABLED:
            raise Http404("Sign-in with an identity provider is not configured.")
        try:
            self.OIDC_OP_AUTH_ENDPOINT = provider_metadata().authorization_endpoint
        except ProviderUnavailable as exc:
            return _refused(request, f"{settings.OIDC_PROVIDER_NAME} cannot be reached right now ({exc}). "
                                     "Try again in a minute.", status=503)
        return super().get(request)


class OIDCCallbackView(OIDCAuthenticationCallbackView):
    """The provider's answer. Anything but a genuine answer to a sign-in this browser started is
    refused with a page that says why, and leaves no session."""

    def get(self, request: HttpRequest) -> HttpResponse:
        if not settings.OIDC_ENABLED:
            raise Http404("Sign-in with an identity provider is not configured.")
        states = request.session.get("oidc_states")
        state = request.GET.get("state", "")
        if not isinstance(states, dict) or not state or state not in states:
            return _refused(request, "This sign-in answer does not belong to a sign-in started in this browser "
                                     "(its state is unknown or was already used). Start again from the sign-in page.")
        if request.GET.get("error"):
            del states[state]  # a refused answer cannot be completed later either
            request.session.modified = True
            reason = request.GET.get("error_description") or request.GET["error"]
            return _refused(request, f"{settings.OIDC_PROVIDER_NAME} did not sign you in: {reason[:300]}",
                            status=403)
        if not request.GET.get("code"):
            return _refused(request, "The sign-in answer has no code.")
        self.user = None
        try:
            # RFC 9207: a provider that names itself in the answer must name the one we sent the user to.
            answered_by = request.GET.get("iss")
            if answered_by is not None and answered_by != provider_metadata().issuer:
                return _refused(request, "The sign-in answer comes from another provider than the one this "
                                         "sign-in was sent to.")
            return super().get(request)
        except NoAccess as exc:
            if request.user.is_authenticated:
                auth.logout(request)
            logger.info("sign-in with %s: %s has no role here", settings.OIDC_PROVIDER_NAME, exc.email)
            return render(request, "auth/no_access.html",
                          {"email": exc.email, "groups": exc.groups, "provider_name": settings.OIDC_PROVIDER_NAME},
                          status=403)
        except LoginRefused as exc:
            return _refused(request, exc.message)
        except ProviderUnavailable as exc:
            return _refused(request, f"{settings.OIDC_PROVIDER_NAME} cannot be reached right now ({exc}).",
                            status=503)
        except requests.HTTPError as exc:
            error = ""
            try:
                error = str(exc.response.json().get("error", "")) if exc.response is not None else ""
            except (ValueError, AttributeError):
                pass
            return _refused(request, f"{settings.OIDC_PROVIDER_NAME} refused to exchange the sign-in code"
                                     f"{f' ({error[:80]})' if error else ''}; it may have been used already. "
                                     "Start again from the sign-in page.")
        except requests.RequestException:
            return _refused(request, f"{settings.OIDC_PROVIDER_NAME}'s token endpoint cannot be reached right now.",
                            status=503)
        except SuspiciousOperation as exc:
            return _refused(request, f"The sign-in answer is not valid ({exc}).")

    def login_success(self) -> HttpResponse:
        response = super().login_success()
        self.request.session.set_expiry(settings.OIDC_SESSION_SECONDS)
        return response

    def login_failure(self) -> HttpResponse:
        user = getattr(self, "user", None)
        if user is not None and not user.is_active:
            return _refused(self.request, f"The account {user.get_username()} is deactivated here; ask an admin.",
                            status=403)
        return _refused(self.request, "The sign-in did not complete. Start again from the sign-in page.")


def provider_logout_url(request: HttpRequest) -> str:
    """The provider's end-session URL for this session's ID token, or "" when there is none."""
    id_token = request.session.get("oidc_id_token")
    if not settings.OIDC_ENABLED or not id_token:
        return ""
    try:
        endpoint = provider_metadata().end_session_endpoint
    except ProviderUnavailable:
        return ""
    if not endpoint:
        return ""
    query = urlencode({"id_token_hint": id_token, "client_id": settings.OIDC_CLIENT_ID,
                       "post_logout_redirect_uri": request.build_absolute_uri(reverse("login"))})
    return f"{endpoint}{'&' if '?' in endpoint else '?'}{query}"


class LogoutView(auth_views.LogoutView):
    """Ends the local session, then the provider's (RP-initiated logout) when it has an end-session
    endpoint and this session came from it."""

    def post(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        provider_url = provider_logout_url(request)  # read before logout() empties the session
        response = super().post(request, *args, **kwargs)
        return HttpResponseRedirect(provider_url) if provider_url else response
