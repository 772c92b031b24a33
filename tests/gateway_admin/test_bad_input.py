"""Bad input to the config API: 400 naming the field, nothing saved or half-saved, no outbound HTTP."""

from __future__ import annotations

import json
import socket
from collections.abc import Callable, Iterator
from typing import Any

import pytest
from django.db import connection
from django.test import Client
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from gateway_admin.models import AllowedModel, AuditLog, Deployment, VertexKey
from routing.catalog import REGIONS

pytestmark = pytest.mark.django_db

URL = "/api/v1/keys/"
CONFIG = "vertex_key_config"


@pytest.fixture
def no_outbound(monkeypatch: pytest.MonkeyPatch) -> Iterator[list[Any]]:
    """Records every socket connect and name lookup; the test asserts the list stays empty.

    The database connection is already open before the request, so any connect here is outbound.
    """
    attempts: list[Any] = []
    real_connect = socket.socket.connect

    def connect(self: socket.socket, address: Any) -> Any:
        attempts.append(address)
        raise OSError("outbound connection attempted during a bad-input test")

    def getaddrinfo(host: Any, *args: Any, **kwargs: Any) -> Any:
        attempts.append(host)
        raise OSError("name lookup attempted during a bad-input test")

    connection.ensure_connection()
    monkeypatch.setattr(socket.socket, "connect", connect)
    monkeypatch.setattr(socket, "getaddrinfo", getaddrinfo)
    yield attempts
    monkeypatch.setattr(socket.socket, "connect", real_connect)


def _counts() -> tuple[int, int, int, int]:
    return (VertexKey.objects.count(), Deployment.objects.count(), AllowedModel.objects.count(), AuditLog.objects.count())


def _good_config(service_account_json: str) -> dict[str, Any]:
    return {
        "project_id": "my-project",
        "region": "us-central1",
        "auth_credentials": service_account_json,
        "deployments": {"gemini-2.0-flash": "gemini-2.0-flash"},
        "allowedModels": ["gemini-2.0-flash"],
    }


def _with_key(sa: dict, **changes: Any) -> str:
    return json.dumps({**sa, **changes})


def _without(sa: dict, field: str) -> str:
    return json.dumps({k: v for k, v in sa.items() if k != field})


# (case id, change to the config, the field path the error must name)
CREDENTIAL_CASES: list[tuple[str, Callable[[dict], Any]]] = [
    ("not JSON", lambda sa: "this is not json {"),
    ("a JSON array", lambda sa: json.dumps([sa])),
    ("type authorized_user", lambda sa: _with_key(sa, type="authorized_user")),
    ("missing private_key", lambda sa: _without(sa, "private_key")),
    ("missing client_email", lambda sa: _without(sa, "client_email")),
    ("missing token_uri", lambda sa: _without(sa, "token_uri")),
    (
        "garbage PEM",
        lambda sa: _with_key(sa, private_key="-----BEGIN PRIVATE KEY-----\nbm90IGEga2V5\n-----END PRIVATE KEY-----\n"),
    ),
    ("double-escaped newlines", lambda sa: _with_key(sa, private_key=sa["private_key"].replace("\n", "\\n"))),
    ("metadata-server token_uri", lambda sa: _with_key(sa, token_uri="http://169.254.169.254/x")),
]

CONFIG_CASES: list[tuple[str, dict[str, Any], str]] = [
    ("region with a host suffix", {"region": "us-central1.evil.com/"}, f"{CONFIG}.region"),
    ("region that is an IP with a fragment", {"region": "169.254.169.254#"}, f"{CONFIG}.region"),
    ("region in upper case", {"region": "US-CENTRAL1"}, f"{CONFIG}.region"),
    ("region with a trailing newline", {"region": "us-central1\n"}, f"{CONFIG}.region"),
    ("empty region", {"region": ""}, f"{CONFIG}.region"),
    ("project_id with a slash", {"project_id": "my-project/../x"}, f"{CONFIG}.project_id"),
    ("project_number not digits", {"project_number": "12ab"}, f"{CONFIG}.project_number"),
    ("alias with a question mark", {"deployments": {"bad?alias": "gemini-2.0-flash"}}, f"{CONFIG}.deployments.bad?alias"),
    ("target with a colon", {"deployments": {"ok": "gemini-2.0-flash:generateContent"}}, f"{CONFIG}.deployments.ok"),
    ("unknown field in the config", {"surprise": 1}, f"{CONFIG}.surprise"),
    ("region override for a missing alias", {"deployment_regions": {"nope": "us-east5"}}, f"{CONFIG}.deployment_regions.nope"),
]


def _assert_refused(
    response: Any, field: str, before: tuple[int, ...], attempts: list[Any], secret: str = "", code: str = "invalid"
) -> None:
    assert response.status_code == 400, response.content
    body = response.json()
    assert field in body["errors"], body
    assert all(isinstance(r, str) and r for r in body["errors"][field])
    assert body["code"] == code and body["detail"]
    assert _counts() == before
    assert attempts == []
    if secret:
        assert secret not in response.content.decode()
        assert "PRIVATE KEY" not in response.content.decode()


@pytest.mark.parametrize(("case", "make"), CREDENTIAL_CASES, ids=[c[0] for c in CREDENTIAL_CASES])
def test_it_refuses_a_bad_credential_on_create(
    case: str, make: Callable[[dict], Any], admin_client: Client, service_account: dict, service_account_json: str, no_outbound: list
) -> None:
    config = {**_good_config(service_account_json), "auth_credentials": make(service_account)}
    before = _counts()

    response = admin_client.post(URL, {"name": "k", CONFIG: config}, content_type="application/json")

    _assert_refused(response, f"{CONFIG}.auth_credentials", before, no_outbound, secret=service_account["private_key"][40:90])


@pytest.mark.parametrize(("case", "make"), CREDENTIAL_CASES, ids=[c[0] for c in CREDENTIAL_CASES])
def test_it_refuses_a_bad_credential_on_update_and_keeps_the_stored_one(
    case: str, make: Callable[[dict], Any], admin_client: Client, service_account: dict, service_account_json: str, no_outbound: list
) -> None:
    created = admin_client.post(URL, {"name": "k", CONFIG: _good_config(service_account_json)}, content_type="application/json")
    key = VertexKey.objects.get(pk=created.json()["id"])
    before = _counts()

    response = admin_client.patch(
        f"{URL}{key.pk}/", {CONFIG: {"auth_credentials": make(service_account)}}, content_type="application/json"
    )

    _assert_refused(response, f"{CONFIG}.auth_credentials", before, no_outbound)
    stored = VertexKey.objects.get(pk=key.pk)
    assert (stored.credentials_encrypted, stored.credential_fingerprint) == (key.credentials_encrypted, key.credential_fingerprint)


@pytest.mark.parametrize(("case", "change", "field"), CONFIG_CASES, ids=[c[0] for c in CONFIG_CASES])
def test_it_refuses_a_bad_config_value_on_create(
    case: str, change: dict, field: str, admin_client: Client, service_account_json: str, no_outbound: list
) -> None:
    before = _counts()

    response = admin_client.post(
        URL, {"name": "k", CONFIG: {**_good_config(service_account_json), **change}}, content_type="application/json"
    )

    _assert_refused(response, field, before, no_outbound)


@pytest.mark.parametrize(("case", "change", "field"), CONFIG_CASES, ids=[c[0] for c in CONFIG_CASES])
def test_it_refuses_a_bad_config_value_on_update_and_changes_nothing(
    case: str, change: dict, field: str, admin_client: Client, service_account_json: str, no_outbound: list
) -> None:
    created = admin_client.post(URL, {"name": "k", CONFIG: _good_config(service_account_json)}, content_type="application/json")
    pk = created.json()["id"]
    snapshot = admin_client.get(f"{URL}{pk}/").json()
    before = _counts()

    response = admin_client.patch(f"{URL}{pk}/", {"name": "renamed", CONFIG: change}, content_type="application/json")

    _assert_refused(response, field, before, no_outbound)
    assert admin_client.get(f"{URL}{pk}/").json() == snapshot


def test_it_refuses_a_duplicate_alias_given_twice_in_the_json(admin_client: Client, no_outbound: list) -> None:
    raw = (
        '{"name": "k", "vertex_key_config": {"project_id": "my-project", "region": "us-central1", '
        '"deployments": {"fast": "gemini-2.0-flash", "fast": "gemini-2.5-pro"}}}'
    )
    before = _counts()

    response = admin_client.post(URL, raw, content_type="application/json")

    _assert_refused(response, f"{CONFIG}.deployments.fast", before, no_outbound)


def test_it_refuses_unknown_top_level_fields(admin_client: Client, no_outbound: list) -> None:
    before = _counts()

    response = admin_client.post(
        URL,
        {"name": "k", "colour": "red", CONFIG: {"project_id": "my-project", "region": "us-central1"}},
        content_type="application/json",
    )

    _assert_refused(response, "colour", before, no_outbound)


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"name": "", CONFIG: {"project_id": "my-project", "region": "us-central1"}}, "name"),
        ({"name": "bad/name", CONFIG: {"project_id": "my-project", "region": "us-central1"}}, "name"),
        ({"name": "k", CONFIG: "not an object"}, CONFIG),
        ({"name": "k"}, CONFIG),
        ({"name": "k", "weight": 0, CONFIG: {"project_id": "my-project", "region": "us-central1"}}, "weight"),
        ({"name": "k", CONFIG: {"region": "us-central1"}}, f"{CONFIG}.project_id"),
        ({"name": "k", CONFIG: {"project_id": "my-project", "region": "us-central1", "allowedModels": "x"}}, f"{CONFIG}.allowedModels"),
        ({"name": 5, CONFIG: {"project_id": "my-project", "region": "us-central1"}}, "name"),
        ({"name": ["k"], CONFIG: {"project_id": "my-project", "region": "us-central1"}}, "name"),
        ({"name": "k", CONFIG: {"project_id": "my-project", "region": "us-central1",
                                "deployments": {f"m{i}": "gemini-2.0-flash" for i in range(5000)}}}, f"{CONFIG}.deployments"),
        ({"name": "k", CONFIG: {"project_id": "my-project", "region": "us-central1",
                                "allowedModels": [f"m{i}" for i in range(501)]}}, f"{CONFIG}.allowedModels"),
        ({"name": "k", CONFIG: {"project_id": "my-project", "region": "us-central1",
                                "deployments": {"flash": "gemini-2.0-flash@evil.com"}}}, f"{CONFIG}.deployments.flash"),
        ({"name": "k", CONFIG: {"project_id": "my-project", "region": "us-central1",
                                "deployments": {"sonnet": "claude-sonnet-4-5@evil.com"}}}, f"{CONFIG}.deployments.sonnet"),
        ({"name": "k", CONFIG: {"project_id": "my-project", "region": "us-central1",
                                "deployments": {"x@evil.com": "gemini-2.0-flash"}}}, f"{CONFIG}.deployments.x@evil.com"),
        ({"name": "k", CONFIG: {"project_id": "my-project", "region": "us-central1",
                                "allowedModels": ["gemini-2.0-flash@1@2"]}}, f"{CONFIG}.allowedModels[0]"),
    ],
    ids=["empty name", "name with slash", "config not an object", "config missing", "weight zero", "no project",
         "allowedModels not a list", "name a number", "name a list", "5000 deployments", "501 allowedModels",
         "gemini target with a host", "claude target with a host", "alias with a host", "two versions"],
)
def test_it_refuses_bad_envelopes(body: dict, field: str, admin_client: Client, no_outbound: list) -> None:
    before = _counts()

    response = admin_client.post(URL, body, content_type="application/json")

    _assert_refused(response, field, before, no_outbound)


def test_it_refuses_a_second_key_with_the_same_name(admin_client: Client, no_outbound: list) -> None:
    body = {"name": "same", CONFIG: {"project_id": "my-project", "region": "us-central1"}}
    assert admin_client.post(URL, body, content_type="application/json").status_code == 201
    before = _counts()

    response = admin_client.post(URL, body, content_type="application/json")

    _assert_refused(response, "name", before, no_outbound)


def test_a_body_that_is_not_json_is_a_400_naming_the_body(admin_client: Client, no_outbound: list) -> None:
    before = _counts()

    response = admin_client.post(URL, "{not json", content_type="application/json")

    _assert_refused(response, "body", before, no_outbound, code="parse_error")


def test_one_response_lists_every_bad_field(admin_client: Client) -> None:
    config = {"project_id": "x/y", "region": "US", "deployments": {"a?": "gemini-2.0-flash"}, "extra": True}

    response = admin_client.post(URL, {"name": "k", CONFIG: config}, content_type="application/json")

    assert response.status_code == 400
    assert {f"{CONFIG}.project_id", f"{CONFIG}.region", f"{CONFIG}.deployments.a?", f"{CONFIG}.extra"} <= set(response.json()["errors"])


KNOWN_REGIONS = [region.id for region in REGIONS]
_mutations = st.sampled_from(KNOWN_REGIONS).flatmap(
    lambda region: st.sampled_from(
        [
            region.upper(),
            region + "\n",
            " " + region,
            region + ".evil.com/",
            region + "#",
            region + ":443",
            region + "/",
            region.replace("-", "_"),
            "https://" + region,
            region + "?x=1",
        ]
    )
)


@settings(max_examples=120, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])
@given(region=st.one_of(st.text(max_size=40), _mutations, st.sampled_from(KNOWN_REGIONS)))
def test_only_known_regions_written_exactly_are_accepted(region: str, admin_client: Client, no_outbound: list) -> None:
    before = _counts()
    body = {"name": "fuzz", CONFIG: {"project_id": "my-project", "region": region}}

    response = admin_client.post(URL, body, content_type="application/json")

    if region in KNOWN_REGIONS:
        assert response.status_code == 201, (region, response.content)
        assert VertexKey.objects.get(name="fuzz").region == region
        VertexKey.objects.filter(name="fuzz").delete()
    else:
        assert response.status_code == 400, (region, response.content)
        assert f"{CONFIG}.region" in response.json()["errors"]
        assert _counts() == before
    assert no_outbound == []


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"name": "k\x00", CONFIG: {"project_id": "my-project", "region": "us-central1"}}, "name"),
        ({"name": "k", CONFIG: {"project_id": "my-project", "region": "us-central1", "deployments": {"a": "gemini\x00"}}}, f"{CONFIG}.deployments.a"),
    ],
    ids=["in the name", "in a target"],
)
def test_a_nul_character_anywhere_in_the_body_is_a_400_naming_the_field(
    body: dict, field: str, admin_client: Client, no_outbound: list
) -> None:
    before = _counts()

    response = admin_client.post(URL, body, content_type="application/json")

    _assert_refused(response, field, before, no_outbound)


def test_a_nul_character_in_a_query_parameter_is_a_400_naming_it(admin_client: Client) -> None:
    response = admin_client.get(URL, {"search": "a\x00b"})

    assert response.status_code == 400
    assert "search" in response.json()["errors"]


def test_import_names_with_nul_characters_are_refused_without_touching_the_database(admin_client: Client) -> None:
    response = admin_client.post(
        f"{URL}import/", [{"name": "x\x00", CONFIG: {"project_id": "my-project", "region": "us-central1"}}], content_type="application/json"
    )

    assert response.status_code == 400
    assert "[0].name" in response.json()["errors"]


def _nested(depth: int) -> str:
    return '{"a": ' * (depth - 1) + "{}" + "}" * (depth - 1)


@pytest.mark.parametrize("depth", [65, 490, 5000, 100_000])
def test_a_body_nested_too_deep_is_a_400_without_a_traceback(
    depth: int, admin_client: Client, no_outbound: list, caplog: pytest.LogCaptureFixture
) -> None:
    from gateway_admin.json_limits import MAX_JSON_DEPTH

    before = _counts()
    body = '{"name": "deep", "vertex_key_config": ' + _nested(depth - 1) + "}"

    response = admin_client.post(URL, body, content_type="application/json")

    _assert_refused(response, "body", before, no_outbound, code="too_deep")
    assert str(MAX_JSON_DEPTH) in response.json()["errors"]["body"][0]
    assert not [r for r in caplog.records if r.levelname == "ERROR" or r.exc_info]


def test_a_body_at_the_depth_limit_is_parsed(admin_client: Client, no_outbound: list) -> None:
    from gateway_admin.json_limits import MAX_JSON_DEPTH

    body = '{"name": "deep", "vertex_key_config": ' + _nested(MAX_JSON_DEPTH - 1) + "}"
    response = admin_client.post(URL, body, content_type="application/json")
    assert response.status_code == 400
    assert response.json()["code"] == "invalid"  # refused for its content, not its depth


def test_a_service_account_from_another_universe_is_refused_naming_the_field(
    admin_client: Client, no_outbound: list, service_account: dict
) -> None:
    before = _counts()
    foreign = {**service_account, "universe_domain": "evil.example"}
    config = {**_good_config(json.dumps(foreign))}

    response = admin_client.post(URL, {"name": "k", CONFIG: config}, content_type="application/json")

    _assert_refused(response, f"{CONFIG}.auth_credentials", before, no_outbound, secret=foreign["private_key"])
    assert "universe_domain" in response.json()["errors"][f"{CONFIG}.auth_credentials"][0]


@pytest.mark.parametrize("target", ["claude-sonnet-4-5@20250929", "imagegeneration@006", "mistral-large@2407",
                                    "gemini-2.0-flash@001", "gemini-2.0-flash@latest", "gemini-2.0-flash@default"])
def test_vertex_version_suffixes_are_accepted(target: str, admin_client: Client, service_account_json: str) -> None:
    config = {**_good_config(service_account_json), "deployments": {"m": target}, "allowedModels": []}
    response = admin_client.post(URL, {"name": "k", CONFIG: config}, content_type="application/json")
    assert response.status_code == 201, response.content


def test_the_limits_are_inclusive(admin_client: Client, service_account_json: str) -> None:
    from routing.config import MAX_ALLOWED_MODELS, MAX_DEPLOYMENTS

    config = {**_good_config(service_account_json),
              "deployments": {f"m{i}": "gemini-2.0-flash" for i in range(MAX_DEPLOYMENTS)},
              "allowedModels": [f"m{i}" for i in range(MAX_ALLOWED_MODELS)]}
    response = admin_client.post(URL, {"name": "k", CONFIG: config}, content_type="application/json")
    assert response.status_code == 201, response.content[:500]


def test_a_body_over_the_upload_limit_is_a_413_in_the_api_shape(admin_client: Client, caplog: pytest.LogCaptureFixture) -> None:
    big = b'{"name": "' + b"x" * 20_000_000 + b'"}'
    response = admin_client.post(URL, big, content_type="application/json")
    assert response.status_code == 413
    assert response["Content-Type"] == "application/json"
    body = response.json()
    assert body["code"] == "request_too_large" and "body" in body["errors"] and body["detail"]
    assert not [r for r in caplog.records if r.exc_info]


@pytest.mark.parametrize("path", ["/api/nope/", "/api/v2/keys/", "/api/schema/extra", "/api/v1/nope/"])
def test_unknown_api_paths_answer_the_api_json_404(path: str, admin_client: Client) -> None:
    response = admin_client.get(path)
    assert response.status_code == 404
    assert response.json() == {"detail": "Not found.", "code": "not_found", "errors": {}}


def test_unknown_page_paths_still_answer_the_html_404(admin_client: Client) -> None:
    response = admin_client.get("/no-such-page/")
    assert response.status_code == 404 and response["Content-Type"].startswith("text/html")


@pytest.mark.parametrize(("path", "query", "field"), [
    ("/api/v1/keys/", "offset=null", "offset"),
    ("/api/v1/keys/", "limit=0", "limit"),
    ("/api/v1/keys/", "limit=501", "limit"),
    ("/api/v1/keys/", "offset=1&offset=2", "offset"),
    ("/api/v1/keys/", "enabled=null", "enabled"),
    ("/api/v1/tokens/", "revoked=null", "revoked"),
    ("/api/v1/tokens/", "revoked=", "revoked"),
    ("/api/v1/audit-log/", "until=", "until"),
    ("/api/v1/users/", "role=", "role"),
])
def test_query_values_the_schema_does_not_allow_are_refused(admin_client: Client, path: str, query: str,
                                                            field: str) -> None:
    response = admin_client.get(f"{path}?{query}")
    assert response.status_code == 400, response.content
    assert field in response.json()["errors"]


def test_query_values_the_schema_allows_are_taken(admin_client: Client) -> None:
    for url in ("/api/v1/keys/?offset=0&limit=500&enabled=true", "/api/v1/tokens/?revoked=false",
                "/api/v1/audit-log/?until=2030-01-01T00:00:00Z", "/api/v1/users/?role=admin&is_active=true"):
        assert admin_client.get(url).status_code == 200, url


@pytest.mark.parametrize("body", [
    {"vertex_key_config": {"project_id": "my-project", "region": "us-central1"}, "fetch_custom": 0},
    {"vertex_key_config": {"project_id": "my-project", "region": "us-central1"}, "colour": "red"},
])
def test_preview_refuses_what_its_schema_refuses(admin_client: Client, no_outbound: list, body: dict) -> None:
    response = admin_client.post("/api/v1/keys/preview-models/", body, content_type="application/json")
    assert response.status_code == 400, response.content
    assert set(response.json()["errors"]) & {"fetch_custom", "colour"}


@pytest.mark.parametrize("body", [{"name": "k", "enabled": 1, CONFIG: {"project_id": "my-project", "region": "us-central1"}},
                                  {"name": "k", "enabled": "true", CONFIG: {"project_id": "my-project", "region": "us-central1"}}])
def test_booleans_must_be_json_booleans(admin_client: Client, no_outbound: list, body: dict) -> None:
    before = _counts()
    _assert_refused(admin_client.post(URL, body, content_type="application/json"), "enabled", before, no_outbound)


def test_the_schemas_own_key_example_is_accepted(admin_client: Client, service_account: dict) -> None:
    schema = admin_client.get("/api/schema/?format=json").json()
    create = schema["paths"]["/api/v1/keys/"]["post"]["requestBody"]["content"]["application/json"]
    example = next(iter(create["examples"].values()))["value"]
    assert admin_client.post(URL, example, content_type="application/json").status_code == 201
    # auth_credentials may be the key file as a string or as the object: the schema says both.
    credentials = schema["components"]["schemas"]["KeyConfigInputRequest"]["properties"]["auth_credentials"]
    assert [option["type"] for option in credentials["oneOf"]] == ["string", "object"]
    config = {"project_id": "my-project", "region": "us-central1", "auth_credentials": service_account}
    assert admin_client.post(URL, {"name": "as-object", CONFIG: config}, content_type="application/json").status_code == 201


def test_request_bodies_are_documented_as_refusing_unknown_fields(admin_client: Client) -> None:
    schemas = admin_client.get("/api/schema/?format=json").json()["components"]["schemas"]
    requests = {name: s for name, s in schemas.items() if name.endswith("Request")}
    assert requests and all(s.get("additionalProperties") is False for s in requests.values())
