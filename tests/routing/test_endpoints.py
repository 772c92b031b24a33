"""Region -> host, URL building and the final URL check that guards every token."""

from __future__ import annotations

import httpx
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from routing.catalog import REGIONS
from routing.config import ConfigError
from routing.endpoints import (
    allowed_hosts,
    base_url_for,
    build_url,
    check_url,
    host_for_region,
    location_path,
)
from routing.errors import ConfigurationError

EMULATOR = "http://127.0.0.1:8765"


@pytest.mark.parametrize(
    ("region", "host"),
    [
        ("global", "aiplatform.googleapis.com"),
        ("us", "aiplatform.us.rep.googleapis.com"),
        ("eu", "aiplatform.eu.rep.googleapis.com"),
        ("us-central1", "us-central1-aiplatform.googleapis.com"),
        ("europe-west4", "europe-west4-aiplatform.googleapis.com"),
    ],
)
def test_it_maps_each_kind_of_region_to_its_host(region, host):
    assert host_for_region(region) == host
    assert host in allowed_hosts()


@pytest.mark.parametrize("region", ["us-central1.evil.com/", "169.254.169.254#", "US-CENTRAL1", "us-central1\n", ""])
def test_it_refuses_to_map_a_bad_region_to_a_host(region):
    with pytest.raises(ConfigError) as err:
        host_for_region(region)
    assert err.value.field == "region"


def test_there_is_one_allowed_host_per_known_region():
    assert len(allowed_hosts()) == len(REGIONS)


def test_it_builds_a_regional_gemini_url():
    url = build_url(project_id="demo-project", region="us-central1",
                    resource="publishers/google/models/gemini-2.0-flash:streamGenerateContent", query={"alt": "sse"})
    assert url == ("https://us-central1-aiplatform.googleapis.com/v1/projects/demo-project/locations/us-central1/"
                   "publishers/google/models/gemini-2.0-flash:streamGenerateContent?alt=sse")


def test_it_builds_a_global_claude_url_with_the_version_in_the_path():
    url = build_url(project_id="demo-project", region="global",
                    resource="publishers/anthropic/models/claude-sonnet-4-5@20250929:rawPredict")
    assert url == ("https://aiplatform.googleapis.com/v1/projects/demo-project/locations/global/"
                   "publishers/anthropic/models/claude-sonnet-4-5@20250929:rawPredict")


def test_it_builds_a_multi_region_url_and_encodes_page_tokens():
    url = build_url(project_id="demo-project", region="eu", resource="models",
                    query={"pageSize": "100", "pageToken": "a+b/c=&x"})
    assert url.startswith("https://aiplatform.eu.rep.googleapis.com/v1/projects/demo-project/locations/eu/models?")
    assert httpx.URL(url).params["pageToken"] == "a+b/c=&x"


def test_an_override_keeps_the_vertex_path():
    url = build_url(project_id="demo-project", region="us-east5", resource="endpoints/openapi/chat/completions",
                    override=EMULATOR + "/")
    assert url == EMULATOR + "/v1/projects/demo-project/locations/us-east5/endpoints/openapi/chat/completions"
    assert base_url_for("us-east5", EMULATOR) == EMULATOR


def test_location_path_validates_both_parts():
    assert location_path("demo-project", "global") == "/v1/projects/demo-project/locations/global"
    with pytest.raises(ConfigError):
        location_path("demo/project", "global")


@pytest.mark.parametrize(
    "resource",
    [
        pytest.param("publishers/google/models/../../x:generateContent", id="dot-dot"),
        pytest.param("publishers/google/models/gemini?x=1", id="a-query"),
        pytest.param("publishers/google/models/gemini#x", id="a-fragment"),
        pytest.param("publishers/google/models/gem%2fini", id="an-escape"),
        pytest.param("publishers/google/models/gemini 2", id="a-space"),
        pytest.param("publishers//models/gemini", id="an-empty-segment"),
        pytest.param("publishers:x/google", id="a-method-before-the-end"),
        pytest.param("", id="empty"),
    ],
)
def test_it_refuses_a_model_id_that_is_not_a_plain_path_segment(resource):
    with pytest.raises(ConfigError):
        build_url(project_id="demo-project", region="us-central1", resource=resource)


@pytest.mark.parametrize(
    "url",
    [
        pytest.param("https://evil.com/v1/projects/p/locations/global/models", id="another-host"),
        pytest.param("http://aiplatform.googleapis.com/v1/x", id="plain-http"),
        pytest.param("https://user:pw@aiplatform.googleapis.com/v1/x", id="userinfo"),
        pytest.param("https://aiplatform.googleapis.com:8443/v1/x", id="a-port"),
        pytest.param("https://aiplatform.googleapis.com:443/v1/x", id="an-explicit-default-port"),
        pytest.param("https://aiplatform.googleapis.com.evil.com/v1/x", id="a-suffix-host"),
        pytest.param("https://evil.com#@aiplatform.googleapis.com/v1/x", id="a-fragment-trick"),
        pytest.param("https://aiplatform.googleapis.com/v1/../x", id="dot-dot"),
        pytest.param("https://aiplatform.googleapis.com/v1/%2e%2e/x", id="escaped-dot-dot"),
        pytest.param("https://aiplatform.googleapis.com\\@evil.com/v1/x", id="a-backslash"),
        pytest.param("https://169.254.169.254/computeMetadata/v1/", id="the-metadata-server"),
        pytest.param("https://mars-north1-aiplatform.googleapis.com/v1/x", id="an-unknown-region-host"),
        pytest.param("https://aiplatform.googleapis.com/v1/x\n", id="a-newline"),
        pytest.param(EMULATOR + "/v1/x", id="the-emulator-without-an-override"),
    ],
)
def test_it_refuses_to_send_a_token_to_a_url_outside_vertex(url):
    with pytest.raises(ConfigurationError):
        check_url(url)


def test_it_accepts_exactly_the_override_host_and_port():
    assert check_url(EMULATOR + "/v1/projects/p/locations/global/models", override=EMULATOR)
    for url in ["http://127.0.0.1:8766/v1/x", "https://127.0.0.1:8765/v1/x", "http://localhost:8765/v1/x",
                "https://aiplatform.googleapis.com/v1/x"]:
        with pytest.raises(ConfigurationError):
            check_url(url, override=EMULATOR)


def test_an_override_with_a_path_only_allows_urls_under_it():
    override = "https://proxy.internal/vertex"
    assert check_url("https://proxy.internal/vertex/v1/x", override=override)
    with pytest.raises(ConfigurationError):
        check_url("https://proxy.internal/other/v1/x", override=override)


@pytest.mark.parametrize("override", ["ftp://127.0.0.1:1", "http://u:p@127.0.0.1:1", "http://127.0.0.1:1/?q=1", "127.0.0.1:1"])
def test_it_refuses_an_override_that_is_not_a_plain_base_url(override):
    with pytest.raises(ConfigurationError):
        base_url_for("global", override)


# --- property: nothing a user can type produces a URL off Vertex -----------------------------------

DELIMITERS = "./@#?:%\\ \n\t-_~[]!$&'()*+,;=" + "\u00a0\u3002\uff0e"
tricky = st.text(alphabet=st.sampled_from(list("abcdefghijklmnopqrstuvwxyz0123456789ABC" + DELIMITERS)), max_size=40)
regions = st.one_of(st.sampled_from([r.id for r in REGIONS]), tricky,
                    st.builds(lambda r, s: r + s, st.sampled_from([r.id for r in REGIONS]), tricky),
                    st.text(max_size=30))
projects = st.one_of(st.just("demo-project"), tricky, st.text(max_size=40))
models = st.one_of(st.sampled_from(["gemini-2.0-flash", "claude-3-5-haiku@20241022", "meta/llama-3.3-70b-instruct-maas"]),
                   tricky, st.text(max_size=40))


@settings(max_examples=1500, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(region=regions, project=projects, model=models)
def test_no_region_project_or_model_string_produces_a_url_off_vertex(region, project, model):
    try:
        url = build_url(project_id=project, region=region, resource=f"publishers/google/models/{model}:generateContent")
    except (ConfigError, ConfigurationError):
        return
    parsed = httpx.URL(url)
    assert parsed.scheme == "https"
    assert parsed.host in allowed_hosts()
    assert parsed.port is None and not parsed.userinfo
    assert parsed.path.startswith(f"/v1/projects/{project}/locations/{region}/publishers/google/models/")


@settings(max_examples=500, deadline=None)
@given(resource=tricky)
def test_no_resource_string_escapes_the_location_path(resource):
    try:
        url = build_url(project_id="demo-project", region="us-central1", resource=resource)
    except (ConfigError, ConfigurationError):
        return
    parsed = httpx.URL(url)
    assert parsed.host == "us-central1-aiplatform.googleapis.com"
    assert parsed.path == "/v1/projects/demo-project/locations/us-central1/" + resource
