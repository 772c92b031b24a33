"""Sign-in with the company's identity provider (OpenID Connect) through mozilla-django-oidc.

- config.py    settings validation and the provider's discovery document (cached)
- claims.py    claims -> role, email domain and verification checks (pure functions)
- backends.py  the OIDC backend (ID token validation, user creation, role at every sign-in) and the
               password backend that LOCAL_LOGIN_ENABLED switches to superusers only
- views.py     sign-in page, start, callback (with its refusal and no-access pages), sign-out
"""
