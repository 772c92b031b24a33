"""Validation of vertex_key_config values: regions, projects, names, credentials, the whole object."""

from __future__ import annotations

import json

import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec
from hypothesis import given, settings
from hypothesis import strategies as st

from routing.catalog import REGIONS, Catalog, LearnedAvailability
from routing.config import (
    GOOGLE_TOKEN_URI,
    ConfigError,
    ConfigErrors,
    availability_warnings,
    credential_fingerprint,
    loads_config,
    parse_service_account,
    parse_vertex_key_config,
    validate_alias,
    validate_project_id,
    validate_project_number,
    validate_region,
    validate_target,
)
from tests.fixtures.service_account import make_service_account

KNOWN = {r.id for r in REGIONS}


def key_lines(sa: dict) -> list[str]:
    """The base64 body lines of the PEM: the material that must never appear in a message."""
    return [line for line in sa["private_key"].splitlines() if line and "PRIVATE KEY" not in line]


def assert_no_key_material(text: str, sa: dict) -> None:
    assert "PRIVATE KEY" not in text
    for line in key_lines(sa):
        assert line not in text


# --- region ---------------------------------------------------------------------------------

@pytest.mark.parametrize("region", ["us-central1", "us-east5", "europe-west1", "asia-southeast1", "global", "us", "eu"])
def test_it_accepts_a_known_region(region):
    assert validate_region(region) == region


@pytest.mark.parametrize(
    "region",
    [
        pytest.param("us-central1.evil.com/", id="a-dot-and-a-slash"),
        pytest.param("169.254.169.254#", id="an-ip-and-a-fragment"),
        pytest.param("US-CENTRAL1", id="upper-case"),
        pytest.param("us-central1\n", id="a-trailing-newline"),
        pytest.param(" us-central1", id="a-leading-space"),
        pytest.param("", id="empty"),
        pytest.param("us-central1@evil.com", id="an-at-sign"),
        pytest.param("us-central1:443", id="a-port"),
        pytest.param("eu-west1", id="an-aws-style-region"),
        pytest.param("mars-north1", id="an-unknown-region-of-the-right-shape"),
    ],
)
def test_it_rejects_a_bad_region_naming_the_field(region):
    with pytest.raises(ConfigError) as err:
        validate_region(region)
    assert err.value.field == "region"
    assert err.value.message


def test_it_rejects_a_region_with_a_dot_saying_why():
    with pytest.raises(ConfigError, match="no spaces, dots, slashes"):
        validate_region("us-central1.evil.com/")


def test_it_rejects_a_region_that_is_not_a_string():
    with pytest.raises(ConfigError, match="must be a string"):
        validate_region(1)


@settings(max_examples=400, deadline=None)
@given(st.one_of(st.text(max_size=30), st.sampled_from(sorted(KNOWN)).map(lambda r: r + "x"),
                 st.sampled_from(sorted(KNOWN))))
def test_only_known_regions_pass_region_validation(text):
    try:
        assert validate_region(text) == text
    except ConfigError:
        assert text not in KNOWN
    else:
        assert text in KNOWN


# --- project ---------------------------------------------------------------------------------

@pytest.mark.parametrize("project_id", ["my-project", "demo-project", "abcdef", "a" * 30, "p1-2-3x"])
def test_it_accepts_a_google_project_id(project_id):
    assert validate_project_id(project_id) == project_id


@pytest.mark.parametrize(
    "project_id",
    [
        pytest.param("my/project", id="a-slash"),
        pytest.param("My-Project", id="upper-case"),
        pytest.param("1project", id="a-digit-first"),
        pytest.param("short", id="too-short"),
        pytest.param("a" * 31, id="too-long"),
        pytest.param("my-project-", id="a-trailing-hyphen"),
        pytest.param("my-project\n", id="a-newline"),
        pytest.param("my_project", id="an-underscore"),
        pytest.param("example.com:my-project", id="a-domain-scope"),
        pytest.param("", id="empty"),
    ],
)
def test_it_rejects_a_project_id_outside_googles_format(project_id):
    with pytest.raises(ConfigError) as err:
        validate_project_id(project_id)
    assert err.value.field == "project_id"


def test_it_accepts_digits_or_nothing_as_a_project_number():
    assert validate_project_number("123456789012") == "123456789012"
    assert validate_project_number("") == ""


@pytest.mark.parametrize("number", ["12a", "-1", "1" * 21, "123 ", "\uff11\uff12\uff13"])
def test_it_rejects_a_project_number_that_is_not_digits(number):
    with pytest.raises(ConfigError) as err:
        validate_project_number(number)
    assert err.value.field == "project_number"


# --- aliases and targets ---------------------------------------------------------------------

@pytest.mark.parametrize("alias", ["gemini-2.0-flash", "claude_fast", "claude-3-5-haiku@20241022", "GPT4o", "a"])
def test_it_accepts_a_plain_alias(alias):
    assert validate_alias(alias) == alias


@pytest.mark.parametrize(
    "alias",
    [
        pytest.param("my?alias", id="a-question-mark"),
        pytest.param("my#alias", id="a-hash"),
        pytest.param("my:alias", id="a-colon"),
        pytest.param("my/alias", id="a-slash"),
        pytest.param("my alias", id="a-space"),
        pytest.param("alias\t", id="a-tab"),
        pytest.param("..", id="dot-dot"),
        pytest.param("", id="empty"),
        pytest.param("x" * 129, id="too-long"),
    ],
)
def test_it_rejects_an_alias_with_a_delimiter_or_whitespace(alias):
    with pytest.raises(ConfigError):
        validate_alias(alias)


@pytest.mark.parametrize(
    "target",
    [
        "gemini-2.0-flash",
        "claude-sonnet-4-5@20250929",
        "meta/llama-3.3-70b-instruct-maas",
        "openai/gpt-oss-120b-maas",
        "1234567890",
        "text-embedding-005",
        "imagegeneration@006",
        "veo-3.0-generate-001",
        "codestral-2501",
    ],
)
def test_it_accepts_a_target_it_can_route(target):
    assert validate_target(target) == target


@pytest.mark.parametrize(
    "target",
    [
        pytest.param("meta/llama/extra", id="two-slashes"),
        pytest.param("/gemini-2.0-flash", id="a-leading-slash"),
        pytest.param("gemini-2.0-flash?alt=sse", id="a-query"),
        pytest.param("gemini-2.0-flash#x", id="a-fragment"),
        pytest.param("gemini-2.0-flash:generateContent", id="a-method"),
        pytest.param("gemini 2.0", id="a-space"),
        pytest.param("../../evil", id="dot-dot-segments"),
        pytest.param("gpt-4o", id="an-unknown-family"),
    ],
)
def test_it_rejects_a_target_it_cannot_route_safely(target):
    with pytest.raises(ConfigError) as err:
        validate_target(target, "deployments.x")
    assert err.value.field == "deployments.x"


# --- service-account credentials ---------------------------------------------------------------

def test_it_treats_empty_credentials_as_application_default_credentials():
    assert parse_service_account("") is None
    assert credential_fingerprint("") == ""


def test_it_reads_the_identity_of_a_service_account(service_account):
    info = parse_service_account(json.dumps(service_account))
    assert info is not None
    assert info.client_email == service_account["client_email"]
    assert info.private_key_id == service_account["private_key_id"]
    assert info.token_uri == GOOGLE_TOKEN_URI
    assert info.project_id == "demo-project"
    assert len(info.fingerprint) == 16
    int(info.fingerprint, 16)
    assert_no_key_material(repr(info), service_account)


def test_the_fingerprint_ignores_json_formatting_but_not_the_key(service_account):
    compact = json.dumps(service_account, separators=(",", ":"))
    pretty = json.dumps(service_account, indent=2, sort_keys=True)
    other = make_service_account()
    assert credential_fingerprint(compact) == credential_fingerprint(pretty)
    assert credential_fingerprint(compact) != credential_fingerprint(json.dumps(other))


def test_it_accepts_a_token_uri_the_operator_allowed():
    sa = make_service_account(token_uri="http://127.0.0.1:9999/token")
    info = parse_service_account(json.dumps(sa), allowed_token_uris=["http://127.0.0.1:9999/token"])
    assert info is not None and info.token_uri == "http://127.0.0.1:9999/token"


def bad_credentials() -> list:
    sa = make_service_account()
    missing_key = {k: v for k, v in sa.items() if k != "private_key"}
    garbage = dict(sa, private_key="-----BEGIN PRIVATE KEY-----\nbm90IGEga2V5\n-----END PRIVATE KEY-----\n")
    double_escaped = dict(sa, private_key=sa["private_key"].replace("\n", "\\n"))
    metadata = dict(sa, token_uri="http://169.254.169.254/x")
    user = dict(sa, type="authorized_user")
    ec_pem = ec.generate_private_key(ec.SECP256R1()).private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    ).decode()
    return [
        pytest.param(sa, "{" + json.dumps(sa)[1:-1], "not valid JSON", id="not-json"),
        pytest.param(sa, json.dumps([sa]), "not a JSON array", id="a-json-array"),
        pytest.param(sa, json.dumps(user), "authorized_user", id="type-authorized-user"),
        pytest.param(sa, json.dumps(missing_key), "missing private_key", id="missing-private-key"),
        pytest.param(sa, json.dumps(garbage), "not a readable PEM private key", id="garbage-pem"),
        pytest.param(sa, json.dumps(double_escaped), "escaped twice", id="double-escaped-newlines"),
        pytest.param(sa, json.dumps(metadata), "token_uri", id="token-uri-on-the-metadata-server"),
        pytest.param(sa, json.dumps(dict(sa, private_key=ec_pem)), "RSA", id="an-ec-key"),
    ]


@pytest.mark.parametrize(("sa", "raw", "reason"), bad_credentials())
def test_it_rejects_bad_credentials_naming_the_problem_without_the_key(sa, raw, reason):
    with pytest.raises(ConfigError) as err:
        parse_service_account(raw)
    assert err.value.field == "auth_credentials"
    assert reason in err.value.message
    assert_no_key_material(str(err.value), sa)
    # Nothing chained to the error (json's error holds the whole document) may carry the key either.
    assert err.value.__cause__ is None and err.value.__context__ is None


def test_it_rejects_credentials_too_large_to_be_a_key_file(service_account):
    with pytest.raises(ConfigError, match="too large"):
        parse_service_account(json.dumps(dict(service_account, padding="x" * 100_000)))


def test_it_rejects_deeply_nested_json_as_credentials():
    with pytest.raises(ConfigError, match="not valid JSON"):
        parse_service_account("[" * 50_000)


def test_it_rejects_a_token_uri_on_the_metadata_server_even_when_another_is_allowed(service_account):
    sa = dict(service_account, token_uri="http://169.254.169.254/x")
    with pytest.raises(ConfigError, match=r"must be https://oauth2\.googleapis\.com/token"):
        parse_service_account(json.dumps(sa), allowed_token_uris=["http://127.0.0.1:1/token"])


# --- the whole vertex_key_config ---------------------------------------------------------------

def seed_config(service_account_json: str) -> dict:
    return {
        "project_id": "my-project",
        "project_number": "123456789012",
        "region": "us-central1",
        "auth_credentials": service_account_json,
        "deployments": {"gemini-2.0-flash": "gemini-2.0-flash", "my-tuned": "1234567890"},
        "allowedModels": ["gemini-2.0-flash"],
    }


def test_it_parses_the_seed_shape(service_account_json, service_account):
    parsed = parse_vertex_key_config(seed_config(service_account_json))
    assert parsed.project_id == "my-project"
    assert parsed.project_number == "123456789012"
    assert parsed.region == "us-central1"
    assert parsed.deployments == {"gemini-2.0-flash": "gemini-2.0-flash", "my-tuned": "1234567890"}
    assert parsed.deployment_regions == {}
    assert parsed.allowedModels == ["gemini-2.0-flash"]
    assert parsed.credential is not None
    assert parsed.credential.client_email == service_account["client_email"]
    assert parsed.auth_credentials == service_account_json
    assert_no_key_material(repr(parsed), service_account)


def test_it_needs_only_project_and_region():
    parsed = parse_vertex_key_config({"project_id": "my-project", "region": "global"})
    assert (parsed.credential, parsed.auth_credentials, parsed.deployments, parsed.allowedModels) == (None, "", {}, [])


def test_it_accepts_a_credential_given_as_an_object(service_account):
    parsed = parse_vertex_key_config({"project_id": "my-project", "region": "global", "auth_credentials": service_account})
    assert parsed.credential is not None
    assert json.loads(parsed.auth_credentials) == service_account


def test_it_accepts_a_region_override_per_deployment():
    parsed = parse_vertex_key_config({
        "project_id": "my-project", "region": "global",
        "deployments": {"claude-3-5-haiku": "claude-3-5-haiku@20241022"},
        "deployment_regions": {"claude-3-5-haiku": "us-east5"},
    })
    assert parsed.deployment_regions == {"claude-3-5-haiku": "us-east5"}


def test_it_collects_every_bad_field_at_once(service_account):
    bad = {
        "project_id": "my/project",
        "project_number": "12ab",
        "region": "US-CENTRAL1",
        "auth_credentials": json.dumps(dict(service_account, type="authorized_user")),
        "deployments": {"ok": "gemini-2.0-flash", "my?alias": "gemini-2.0-flash", "bad-target": "a/b/c"},
        "deployment_regions": {"ok": "us-central1.evil.com/", "ghost": "us-east5"},
        "allowedModels": ["gemini-2.0-flash", "x y", "gemini-2.0-flash"],
        "extra": 1,
        "apiKey": "x",
    }
    with pytest.raises(ConfigErrors) as err:
        parse_vertex_key_config(bad)
    assert set(err.value.errors) == {
        "project_id", "project_number", "region", "auth_credentials", "deployments.my?alias",
        "deployments.bad-target", "deployment_regions.ok", "deployment_regions.ghost", "allowedModels[1]",
        "allowedModels[2]", "extra", "apiKey",
    }
    assert isinstance(err.value, ConfigError)
    assert all(err.value.errors.values())
    assert_no_key_material(str(err.value), service_account)


def test_it_names_an_unknown_field():
    with pytest.raises(ConfigErrors) as err:
        parse_vertex_key_config({"project_id": "my-project", "region": "global", "projectId": "x"})
    assert list(err.value.errors) == ["projectId"]
    assert "not a vertex_key_config field" in err.value.errors["projectId"][0]


def test_it_rejects_a_duplicate_allowed_model():
    with pytest.raises(ConfigErrors) as err:
        parse_vertex_key_config({"project_id": "my-project", "region": "global", "allowedModels": ["a", "b", "a"]})
    assert err.value.errors == {"allowedModels[2]": ["'a' is listed twice (also allowedModels[0])."]}


def test_it_rejects_a_duplicate_alias_in_json_text():
    text = ('{"project_id": "my-project", "region": "global", '
            '"deployments": {"fast": "gemini-2.0-flash", "fast": "gemini-2.5-flash"}}')
    with pytest.raises(ConfigErrors) as err:
        parse_vertex_key_config(loads_config(text))
    assert err.value.errors == {"deployments.fast": ["this alias is defined twice; aliases must be unique."]}


def test_it_rejects_a_field_given_twice_in_json_text():
    with pytest.raises(ConfigErrors) as err:
        parse_vertex_key_config(loads_config('{"project_id": "my-project", "region": "global", "region": "us"}'))
    assert list(err.value.errors) == ["region"]


def test_json_text_without_duplicates_parses_as_usual():
    parsed = parse_vertex_key_config(loads_config('{"project_id": "my-project", "region": "global"}'))
    assert parsed.region == "global"


def test_it_requires_project_id_and_region():
    with pytest.raises(ConfigErrors) as err:
        parse_vertex_key_config({})
    assert set(err.value.errors) == {"project_id", "region"}


@pytest.mark.parametrize("value", [[], "x", None, 3])
def test_it_rejects_a_config_that_is_not_an_object(value):
    with pytest.raises(ConfigErrors) as err:
        parse_vertex_key_config(value)
    assert list(err.value.errors) == ["vertex_key_config"]


def test_it_rejects_deployments_that_are_not_an_object():
    with pytest.raises(ConfigErrors) as err:
        parse_vertex_key_config({"project_id": "my-project", "region": "global", "deployments": ["gemini-2.0-flash"]})
    assert list(err.value.errors) == ["deployments"]


# --- availability warnings ----------------------------------------------------------------------

def fresh_catalog(**overrides) -> Catalog:
    return Catalog(overrides or None, learned=LearnedAvailability())


def test_it_warns_that_claude_3_5_haiku_is_not_served_on_global():
    warnings = availability_warnings(region="global", deployments={"haiku": "claude-3-5-haiku@20241022"},
                                     deployment_regions={}, catalog=fresh_catalog())
    assert warnings == ["claude-3-5-haiku@20241022 is not served in global; it is served in us-east5, europe-west1."]


def test_a_region_override_that_serves_the_model_silences_the_warning():
    warnings = availability_warnings(region="global", deployments={"haiku": "claude-3-5-haiku@20241022"},
                                     deployment_regions={"haiku": "us-east5"}, catalog=fresh_catalog())
    assert warnings == []


def test_it_does_not_warn_when_the_catalog_cannot_tell():
    deployments = {"tuned": "1234567890", "qwen": "qwen/qwen3-235b-a22b-instruct-2507-maas",
                   "claude": "claude-3-5-haiku@20241022", "new": "gemini-9-ultra"}
    # claude-3-5-haiku in us-central1 is an unmarked cell of seed 000's table: unknown, not "no".
    assert availability_warnings(region="us-central1", deployments=deployments, deployment_regions={},
                                 catalog=fresh_catalog()) == []


def test_it_does_not_warn_for_models_served_on_global():
    deployments = {"sonnet": "claude-sonnet-4-5@20250929", "flash": "gemini-2.0-flash-001", "pro": "gemini-2.5-pro"}
    assert availability_warnings(region="global", deployments=deployments, catalog=fresh_catalog()) == []


def test_a_long_list_of_serving_regions_is_shortened():
    [warning] = availability_warnings(region="global", deployments={"old": "gemini-1.5-pro-002"}, catalog=fresh_catalog())
    assert warning.startswith("gemini-1.5-pro-002 is not served in global; it is served in us-east5")
    assert warning.endswith("more regions.")


def test_credential_parsing_lives_in_routing_credentials_and_is_still_importable_from_config():
    import routing.config
    import routing.credentials

    for name in ("parse_service_account", "credential_fingerprint", "GOOGLE_TOKEN_URI", "ServiceAccountInfo",
                 "ConfigError"):
        assert getattr(routing.config, name) is getattr(routing.credentials, name)
    with pytest.raises(routing.config.ConfigError) as caught:
        routing.credentials.parse_service_account('{"type": "authorized_user"}')
    assert caught.value.field == "auth_credentials"
