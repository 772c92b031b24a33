"""The client's network address, as login throttling (django-axes) counts it.

The address is the socket's peer (REMOTE_ADDR) unless TRUSTED_PROXY_COUNT proxies stand in front
of the app; then it is the address the outermost trusted proxy appended to X-Forwarded-For (the
N-th entry from the right), never an entry the client could have written itself. uvicorn's own
proxy-header handling is off (bin/run, README) so REMOTE_ADDR really is the socket's peer.
"""

from __future__ import annotations

from django.conf import settings
from django.http import HttpRequest


def client_address(request: HttpRequest) -> str | None:
    peer = request.META.get("REMOTE_ADDR")
    count = settings.TRUSTED_PROXY_COUNT
    if count <= 0:
        return peer
    hops = [part.strip() for part in request.META.get("HTTP_X_FORWARDED_FOR", "").split(",") if part.strip()]
    if len(hops) < count:
        # Fewer hops than proxies: the request did not come through all of them.
        return peer
    return hops[-count]
