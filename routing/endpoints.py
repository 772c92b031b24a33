"""Region -> host and every Vertex URL; the final URL is checked before a token is attached.

- `host_for_region(region) -> str`: "global" -> "aiplatform.googleapis.com"; "us"/"eu" ->
  "aiplatform.{us|eu}.rep.googleapis.com"; other known regions -> "{region}-aiplatform.googleapis.com".
  The one place a region becomes a host.
- `base_url_for(region, override=None) -> str`: "https://{host}", or the operator override
  (emulator / private endpoint) which keeps the path layout.
- `location_path(project_id, region, api_version="v1") -> str`: "/v1/projects/{p}/locations/{r}"
  ("/v1beta1/..." for the pass-through of v1beta1 callers).
- `build_url(*, project_id, region, resource, override=None, query=None, api_version="v1") -> str`: base + location
  path + "/" + resource; validates project, region and every resource segment (model ids included).
- `check_url(url, *, override=None) -> str`: https, no userinfo, no port, host in `allowed_hosts()`
  (or, with an override, exactly the override's scheme, host and port, under its path);
  raises `routing.errors.ConfigurationError`.

Bad configuration values raise `routing.config.ConfigError` (field + reason); a URL that fails the
final check raises `ConfigurationError`. Either way no request is sent.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from functools import lru_cache
from urllib.parse import urlencode

import httpx

from routing.catalog import REGIONS
from routing.config import ConfigError, validate_project_id, validate_region
from routing.errors import ConfigurationError

GLOBAL_HOST = "aiplatform.googleapis.com"
_MULTI_REGION_HOSTS = {"us": "aiplatform.us.rep.googleapis.com", "eu": "aiplatform.eu.rep.googleapis.com"}
# One resource path segment: a name (model id, endpoint id, "openapi", "chat"...) optionally followed
# by ":method" (":generateContent"). Starts alphanumeric, so never "." or ".."; nothing that a URL
# parser would read as a delimiter or an escape.
_SEGMENT = re.compile(r"[A-Za-z0-9][A-Za-z0-9._@-]*(?::[A-Za-z][A-Za-z0-9]*)?")
_BAD_URL_CHARS = re.compile(r"[\s\x00-\x1f\x7f\\]")
_QUERY_NAME = re.compile(r"[A-Za-z][A-Za-z0-9_]*")


def _host(region: str) -> str:
    if region == "global":
        return GLOBAL_HOST
    if region in _MULTI_REGION_HOSTS:
        return _MULTI_REGION_HOSTS[region]
    return f"{region}-aiplatform.googleapis.com"


@lru_cache(maxsize=1)
def allowed_hosts() -> frozenset[str]:
    """Every host a Vertex URL may point at: one per known region (see `routing.catalog.REGIONS`)."""
    return frozenset(_host(r.id) for r in REGIONS)


def host_for_region(region: str) -> str:
    """The Vertex AI host for a region (validated first: known region, strict shape)."""
    return _host(validate_region(region))


@lru_cache(maxsize=64)
def _parse_override(override: str) -> httpx.URL:
    try:
        url = httpx.URL(override)
    except (httpx.InvalidURL, TypeError, ValueError):
        url = None
    if (url is None or url.scheme not in ("http", "https") or not url.host or url.userinfo
            or url.query or url.fragment):
        raise ConfigurationError(
            "The Vertex base-URL override must be an http(s) URL with a host and no credentials, query "
            "or fragment (for example http://127.0.0.1:8765)."
        )
    return url


def _override_path(override: str) -> str:
    return _parse_override(override).path.rstrip("/") + "/"


def base_url_for(region: str, override: str | None = None) -> str:
    """"https://{host}" for the region, or the operator's override (without a trailing slash)."""
    if override:
        _parse_override(override)
        return override.rstrip("/")
    return f"https://{host_for_region(region)}"


API_VERSIONS = ("v1", "v1beta1")


def location_path(project_id: str, region: str, api_version: str = "v1") -> str:
    """"/v1/projects/{project_id}/locations/{region}" (or /v1beta1/...), all validated."""
    if api_version not in API_VERSIONS:
        raise ConfigError("api_version", f"{str(api_version)[:20]!r} is not a Vertex API version (v1 or v1beta1).")
    return f"/{api_version}/projects/{validate_project_id(project_id)}/locations/{validate_region(region)}"


def _validate_resource(resource: str) -> str:
    if not isinstance(resource, str) or not resource:
        raise ConfigError("resource", "is required.")
    segments = resource.split("/")
    for i, segment in enumerate(segments):
        if not _SEGMENT.fullmatch(segment) or (":" in segment and i != len(segments) - 1):
            raise ConfigError(
                "model",
                f"{segment[:80]!r} cannot be part of a Vertex URL: model and endpoint ids may contain only "
                "letters, digits, '.', '_', '@' and '-'.",
            )
    return resource


def build_url(*, project_id: str, region: str, resource: str, override: str | None = None,
              query: Mapping[str, str] | None = None, api_version: str = "v1") -> str:
    """The full URL of a Vertex resource, checked by `check_url` before it is returned.

    `resource` is the path after the location, e.g. "publishers/google/models/gemini-2.0-flash:
    generateContent" or "endpoints/openapi/chat/completions".
    """
    path = f"{location_path(project_id, region, api_version)}/{_validate_resource(resource)}"
    url = base_url_for(region, override) + path
    if query:
        for name, value in query.items():
            # Values (page tokens) are percent-encoded by urlencode; names are ours and stay plain.
            if not _QUERY_NAME.fullmatch(str(name)) or any(ord(c) < 32 for c in str(value)):
                raise ConfigError("query", f"{str(name)[:40]!r} is not a plain query parameter.")
        url += "?" + urlencode(dict(query))
    return check_url(url, override=override)


def _refused() -> ConfigurationError:
    return ConfigurationError(
        "Refusing to send credentials to this URL: it is not a Vertex AI endpoint this gateway allows."
    )


@lru_cache(maxsize=512)
def _authority_allowed(scheme: str, authority: str, override: str | None) -> bool:
    # Parsing is the costly part of the check and depends only on scheme + authority, so it is
    # cached; httpx (the client that will connect) does the parsing, so both agree on the host.
    try:
        parsed = httpx.URL(f"{scheme}://{authority}/")
    except (httpx.InvalidURL, TypeError, ValueError):
        return False
    if parsed.userinfo or "@" in authority:
        return False
    if override:
        expected = _parse_override(override)
        return (parsed.scheme, parsed.host, parsed.port) == (expected.scheme, expected.host, expected.port)
    # The authority must be spelled exactly as build_url spells it: no port (not even :443), no
    # upper case, no trailing dot.
    return scheme == "https" and parsed.port is None and authority == parsed.host and authority in allowed_hosts()


def check_url(url: str, *, override: str | None = None) -> str:
    """Return `url` unchanged if it may carry a Google token; raise ConfigurationError otherwise.

    Without an override: https, no userinfo, no explicit port, host in `allowed_hosts()`. With one:
    exactly the override's scheme, host and port, under the override's path. Also refused anywhere:
    whitespace, control characters, backslashes, a fragment, "." / ".." or percent-escapes in the path.
    """
    if not isinstance(url, str) or _BAD_URL_CHARS.search(url):
        raise _refused()
    scheme, sep, rest = url.partition("://")
    if not sep:
        raise _refused()
    ends = [i for i in (rest.find("/"), rest.find("?"), rest.find("#")) if i >= 0]
    cut = min(ends) if ends else len(rest)
    authority, tail = rest[:cut], rest[cut:]
    path = tail.split("?", 1)[0]
    # httpx would resolve "." and ".." segments itself, so the path is checked as written.
    if "#" in tail or not path.startswith("/") or any(s in (".", "..") or "%" in s for s in path.split("/")):
        raise _refused()
    if not _authority_allowed(scheme, authority, override or None):
        raise _refused()
    if override and not path.startswith(_override_path(override)):
        raise _refused()
    return url
