"""A key's region failover mode ("any" | "geography" | "off"): config API, audit, export/import,
schema, routing config, and what /v1 does with it when the key's region answers 429."""

from __future__ import annotations

import json
from typing import Any

import pytest
from django.test import Client

from gateway_admin import routing_config
from gateway_admin.models import AuditLog, VertexKey
from gateway_admin.services.keys import key_update
from routing.residency import DEFAULT_REGION_FAILOVER, REGION_FAILOVER_MODES

URL = "/api/v1/keys/"
CONFIG = {"project_id": "my-project", "region": "europe-west4", "auth_credentials": "",
          "deployments": {"flash": "gemini-2.0-flash"}}
CHAT = {"model": "gemini-2.0-flash", "messages": [{"role": "user", "content": "hi"}]}


def _send(client: Client, method: str, url: str, body: Any) -> Any:
    return getattr(client, method)(url, data=json.dumps(body), content_type="application/json")


# --- config API -------------------------------------------------------------------------------


@pytest.mark.django_db
def test_a_key_created_without_a_mode_fails_over_to_any_region(admin_client: Client) -> None:
    response = _send(admin_client, "post", URL, {"name": "k", "vertex_key_config": CONFIG})

    assert response.status_code == 201, response.content
    assert response.json()["region_failover"] == "any"
    assert VertexKey.objects.get().region_failover == "any"


@pytest.mark.django_db
def test_the_mode_is_a_top_level_field_beside_name_and_never_inside_vertex_key_config(admin_client: Client) -> None:
    response = _send(admin_client, "post", URL,
                     {"name": "eu-only", "region_failover": "geography", "vertex_key_config": CONFIG})

    assert response.status_code == 201, response.content
    body = response.json()
    assert body["region_failover"] == "geography"
    assert "region_failover" not in body["vertex_key_config"]
    assert VertexKey.objects.get(name="eu-only").region_failover == "geography"
    fetched = admin_client.get(f"{URL}{body['id']}/").json()
    assert fetched["region_failover"] == "geography"


@pytest.mark.django_db
def test_patch_changes_the_mode_and_the_audit_log_records_it(admin_client: Client) -> None:
    key_id = _send(admin_client, "post", URL, {"name": "k", "vertex_key_config": CONFIG}).json()["id"]

    response = _send(admin_client, "patch", f"{URL}{key_id}/", {"region_failover": "off"})

    assert response.status_code == 200, response.content
    assert response.json()["region_failover"] == "off"
    assert VertexKey.objects.get(pk=key_id).region_failover == "off"
    assert AuditLog.objects.get(action="update").changes == {"region_failover": ["any", "off"]}
    assert AuditLog.objects.get(action="create").changes["region_failover"] == [None, "any"]


@pytest.mark.django_db
def test_a_put_without_the_mode_keeps_the_stored_one(admin_client: Client) -> None:
    created = _send(admin_client, "post", URL,
                    {"name": "k", "region_failover": "off", "vertex_key_config": CONFIG}).json()

    response = _send(admin_client, "put", f"{URL}{created['id']}/", {"name": "k", "vertex_key_config": CONFIG})

    assert response.status_code == 200, response.content
    assert VertexKey.objects.get().region_failover == "off"


@pytest.mark.django_db
@pytest.mark.parametrize("value", ["anywhere", "GLOBAL", "", 1, None])
def test_a_bad_mode_on_create_is_refused_naming_the_field_and_nothing_is_saved(admin_client: Client, value: Any) -> None:
    response = _send(admin_client, "post", URL, {"name": "k", "region_failover": value, "vertex_key_config": CONFIG})

    assert response.status_code == 400
    assert "region_failover" in response.json()["errors"]
    assert not VertexKey.objects.exists() and not AuditLog.objects.exists()


@pytest.mark.django_db
def test_a_bad_mode_on_patch_is_refused_and_the_key_is_unchanged(admin_client: Client) -> None:
    key_id = _send(admin_client, "post", URL,
                   {"name": "k", "region_failover": "geography", "vertex_key_config": CONFIG}).json()["id"]

    response = _send(admin_client, "patch", f"{URL}{key_id}/", {"region_failover": "nowhere", "weight": 5})

    assert response.status_code == 400
    assert list(response.json()["errors"]) == ["region_failover"]
    key = VertexKey.objects.get(pk=key_id)
    assert (key.region_failover, key.weight) == ("geography", 1)
    assert not AuditLog.objects.filter(action="update").exists()


@pytest.mark.django_db
def test_the_mode_inside_vertex_key_config_is_refused_as_not_the_seed_shape(admin_client: Client) -> None:
    response = _send(admin_client, "post", URL,
                     {"name": "k", "vertex_key_config": {**CONFIG, "region_failover": "off"}})

    assert response.status_code == 400
    assert any(field.startswith("vertex_key_config") for field in response.json()["errors"])
    assert not VertexKey.objects.exists()


@pytest.mark.django_db
def test_export_and_import_carry_the_mode_beside_the_name(admin_client: Client) -> None:
    created = _send(admin_client, "post", URL,
                    {"name": "k", "region_failover": "geography", "vertex_key_config": CONFIG}).json()
    exported = admin_client.get(f"{URL}{created['id']}/export/").json()
    assert exported["region_failover"] == "geography" and "region_failover" not in exported["vertex_key_config"]
    exported["region_failover"] = "off"
    fresh = {"name": "fresh", "region_failover": "geography", "vertex_key_config": CONFIG}

    response = _send(admin_client, "post", f"{URL}import/", [exported, fresh])

    assert response.status_code == 200, response.content
    assert dict(VertexKey.objects.values_list("name", "region_failover")) == {"k": "off", "fresh": "geography"}


@pytest.mark.django_db
def test_import_names_the_item_with_a_bad_mode_and_saves_nothing(admin_client: Client) -> None:
    good = {"name": "good", "region_failover": "off", "vertex_key_config": CONFIG}
    bad = {"name": "bad", "region_failover": "sometimes", "vertex_key_config": CONFIG}

    response = _send(admin_client, "post", f"{URL}import/", [good, bad])

    assert response.status_code == 400
    assert list(response.json()["errors"]) == ["[1].region_failover"]
    assert not VertexKey.objects.exists()


@pytest.mark.django_db
def test_the_openapi_schema_documents_the_three_modes(admin_client: Client) -> None:
    schema = admin_client.get("/api/schema/?format=json").json()
    schemas = schema["components"]["schemas"]

    def enum(schema_name: str) -> set[str]:
        field = schemas[schema_name]["properties"]["region_failover"]
        ref = field.get("$ref") or field["allOf"][0]["$ref"]
        return set(schemas[ref.rsplit("/", 1)[1]]["enum"])

    for name in ("KeyWriteRequest", "PatchedKeyPatchRequest", "KeyImportItemRequest", "Key", "KeyExport"):
        assert enum(name) == {"any", "geography", "off"}, name
    assert "global first" in schemas["KeyWriteRequest"]["properties"]["region_failover"]["description"]
    assert "region_failover" not in schemas["KeyConfigInputRequest"]["properties"]


# --- routing ----------------------------------------------------------------------------------


def test_the_stored_modes_and_default_are_routing_s():
    assert set(VertexKey.RegionFailover.values) == set(REGION_FAILOVER_MODES)
    assert VertexKey._meta.get_field("region_failover").default == DEFAULT_REGION_FAILOVER == "any"


@pytest.mark.django_db
@pytest.mark.parametrize("mode", ["any", "geography", "off"])
def test_routing_config_passes_the_mode_to_the_router(admin_client: Client, mode: str) -> None:
    _send(admin_client, "post", URL, {"name": "k", "region_failover": mode, "vertex_key_config": CONFIG})

    assert routing_config.key_config(VertexKey.objects.get()).region_failover == mode
    assert [c.region_failover for c in routing_config.enabled_key_configs()] == [mode]


@pytest.fixture
def token(developer_user: Any, api_token_factory: Any) -> str:
    return api_token_factory(developer_user)


def _regions_called(vertex: Any) -> list[str]:
    return [r["path"].split("/locations/")[1].split("/")[0] for r in vertex.requests("gemini-2.0-flash")]


@pytest.mark.django_db(transaction=True)
def test_a_key_set_to_off_answers_429_without_leaving_its_region(live_v1, demo_key, admin_user, token, vertex):
    key_update(actor=admin_user, key=demo_key, config=None, partial=True, region_failover="off")
    vertex.add_fault(status=429, region="us-central1", model="gemini-2.0-flash")

    response = live_v1.http.post("/v1/chat/completions", json=CHAT, headers={"Authorization": f"Bearer {token}"})

    assert response.status_code == 429, response.text
    regions = _regions_called(vertex)
    assert len(regions) > 1 and set(regions) == {"us-central1"}  # retried, never failed over


@pytest.mark.django_db(transaction=True)
def test_a_key_with_the_default_mode_fails_over_to_global_first(live_v1, demo_key, token, vertex):
    assert demo_key.region_failover == "any"
    vertex.add_fault(status=429, region="us-central1", model="gemini-2.0-flash")

    response = live_v1.http.post("/v1/chat/completions", json=CHAT, headers={"Authorization": f"Bearer {token}"})

    assert response.status_code == 200, response.text
    regions = _regions_called(vertex)
    assert regions[-1] == "global" and set(regions[:-1]) == {"us-central1"}
