"""Key pages on the server: create/edit/delete through the form, errors beside the field with nothing
saved, the credential never echoed, instant checks, the merged preview and Test connection."""

from __future__ import annotations

import json

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from gateway_admin.models import AuditLog, Deployment, VertexKey

pytestmark = pytest.mark.django_db


def _form(**overrides):
    data = {
        "name": "prod-eu", "project_id": "my-project", "project_number": "", "region": "europe-west4",
        "credentials": "", "enabled": "on", "weight": "1",
        "dep_alias": ["gemini-flash", "claude-haiku"],
        "dep_target": ["gemini-2.0-flash", "claude-3-5-haiku@20241022"],
        "dep_region": ["", "us-east5"],
        "allowed": [],
    }
    data.update(overrides)
    return data


def test_an_admin_creates_a_key_with_deployments_and_a_region_override(admin_client, service_account_json,
                                                                        service_account):
    response = admin_client.post(reverse("key-create"), _form(credentials=service_account_json))
    key = VertexKey.objects.get(name="prod-eu")
    assert response.status_code == 302
    assert response["Location"] == reverse("key-edit", args=[key.pk])
    assert key.region == "europe-west4"
    assert key.credential_client_email == service_account["client_email"]
    deployments = {d.alias: (d.target, d.region_override) for d in Deployment.objects.filter(key=key)}
    assert deployments == {"gemini-flash": ("gemini-2.0-flash", ""),
                           "claude-haiku": ("claude-3-5-haiku@20241022", "us-east5")}
    assert AuditLog.objects.filter(object_type="vertexkey", action="create").exists()
    page = admin_client.get(response["Location"]).content.decode()
    assert "created" in page
    assert service_account["client_email"] in page and key.credential_fingerprint in page
    assert "PRIVATE KEY" not in page and service_account["private_key"][40:80] not in page


def test_an_uploaded_key_file_is_accepted(admin_client, service_account_json, service_account):
    upload = SimpleUploadedFile("key.json", service_account_json.encode(), content_type="application/json")
    response = admin_client.post(reverse("key-create"), _form(credentials_file=upload))
    assert response.status_code == 302
    assert VertexKey.objects.get(name="prod-eu").credential_client_email == service_account["client_email"]


def test_bad_fields_are_refused_beside_each_field_and_nothing_is_saved(admin_client, service_account):
    bad_credential = json.dumps({**service_account, "type": "authorized_user"})
    response = admin_client.post(reverse("key-create"), _form(
        name="bad name!", project_id="Bad Project", region="mars-north1", credentials=bad_credential,
        dep_target=["no-such-family", "claude-3-5-haiku@20241022"]))
    assert response.status_code == 400
    html = response.content.decode()
    for field in ("name", "project_id", "region", "credentials"):
        assert f'id="err_{field}"' in html, field
    assert "no-such-family" in html and html.count('class="errorlist"') >= 5
    assert "Nothing was saved" in html
    # The refused secret is not echoed back into the page.
    assert service_account["private_key"][40:80] not in html
    assert VertexKey.objects.count() == 0


def test_a_credential_is_required_unless_default_credentials_are_chosen(admin_client):
    response = admin_client.post(reverse("key-create"), _form())
    assert response.status_code == 400
    assert 'id="err_credentials"' in response.content.decode()
    response = admin_client.post(reverse("key-create"), _form(use_adc="on"))
    assert response.status_code == 302
    assert VertexKey.objects.get(name="prod-eu").uses_default_credentials


def test_duplicate_and_half_filled_deployment_rows_are_marked(admin_client):
    response = admin_client.post(reverse("key-create"), _form(
        use_adc="on", dep_alias=["same", "same", "no-target"],
        dep_target=["gemini-2.0-flash", "gemini-2.5-flash", ""], dep_region=["", "", ""]))
    assert response.status_code == 400
    html = response.content.decode()
    assert "This alias is already used above." in html
    assert "Say which model or endpoint this alias calls." in html
    assert VertexKey.objects.count() == 0


def test_saving_shows_availability_warnings(admin_client, service_account_json):
    response = admin_client.post(reverse("key-create"), _form(
        region="global", credentials=service_account_json, dep_alias=["haiku"],
        dep_target=["claude-3-5-haiku@20241022"], dep_region=[""]), follow=True)
    assert response.status_code == 200
    assert "not served in global" in response.content.decode()


def test_saving_warns_about_an_allowed_model_nothing_serves(admin_client, service_account_json):
    response = admin_client.post(reverse("key-create"), _form(
        credentials=service_account_json, allowed=["gemini-flash", "gpt-4o"]), follow=True)
    assert response.status_code == 200
    html = response.content.decode()
    assert "created" in html and "allowedModels: gpt-4o is no deployment of this key" in html
    assert list(VertexKey.objects.get(name="prod-eu").allowed_models.values_list("model_id", flat=True)) == [
        "gemini-flash", "gpt-4o"]
    preview = admin_client.post(reverse("key-preview"), {
        "region": "europe-west4", "dep_alias": ["gemini-flash"], "dep_target": ["gemini-2.0-flash"],
        "dep_region": [""], "allowed": ["gemini-flash", "gpt-4o"]}).content.decode()
    assert "allowedModels: gpt-4o" in preview and "gemini-flash is no" not in preview


def test_editing_without_pasting_keeps_the_stored_credential(admin_client, service_account_json):
    admin_client.post(reverse("key-create"), _form(credentials=service_account_json))
    key = VertexKey.objects.get(name="prod-eu")
    before = (key.credentials_encrypted, key.credential_fingerprint)
    response = admin_client.post(reverse("key-edit", args=[key.pk]), _form(
        name="prod-eu-2", dep_alias=["gemini-flash"], dep_target=["gemini-2.0-flash"], dep_region=[""],
        allowed=["gemini-flash"]))
    assert response.status_code == 302
    key.refresh_from_db()
    assert key.name == "prod-eu-2"
    assert key.credential_fingerprint == before[1] and key.credentials_encrypted
    assert list(key.allowed_models.values_list("model_id", flat=True)) == ["gemini-flash"]
    assert list(key.deployments.values_list("alias", flat=True)) == ["gemini-flash"]


def test_the_form_offers_region_failover_beside_the_region_with_any_preselected(admin_client):
    html = admin_client.get(reverse("key-create")).content.decode()
    assert '<label for="id_region_failover">Region failover</label>' in html
    assert html.index('id="id_region"') < html.index('id="id_region_failover"') < html.index('id="id_project_number"')
    assert '<option value="any" selected>' in html
    assert '<option value="geography">' in html and '<option value="off">' in html
    assert "data residency" in html and 'aria-describedby="help_region_failover"' in html


def test_the_region_failover_mode_is_saved_and_shown_on_edit(admin_client):
    response = admin_client.post(reverse("key-create"), _form(use_adc="on", region_failover="geography"))
    assert response.status_code == 302
    key = VertexKey.objects.get(name="prod-eu")
    assert key.region_failover == "geography"
    assert '<option value="geography" selected>' in admin_client.get(response["Location"]).content.decode()
    assert admin_client.post(reverse("key-edit", args=[key.pk]), _form(region_failover="off")).status_code == 302
    key.refresh_from_db()
    assert key.region_failover == "off"
    assert AuditLog.objects.get(action="update").changes == {"region_failover": ["geography", "off"]}


def test_a_bad_region_failover_is_refused_beside_the_field_and_nothing_is_saved(admin_client):
    response = admin_client.post(reverse("key-create"), _form(use_adc="on", region_failover="everywhere"))
    assert response.status_code == 400
    html = response.content.decode()
    error_at = html.index('id="err_region_failover"')
    assert html.index('id="id_region_failover"') < error_at < html.index('id="help_region_failover"')
    assert "everywhere" in html[error_at:error_at + 300] and 'aria-invalid="true"' in html
    assert VertexKey.objects.count() == 0


def test_the_edit_page_lists_rows_and_shows_identity_not_secret(admin_client, demo_key, emulator):
    html = admin_client.get(reverse("key-edit", args=[demo_key.pk])).content.decode()
    assert 'value="claude-3-5-haiku@20241022"' in html
    assert '<option value="us-east5" selected>' in html
    assert emulator.service_account["client_email"] in html
    assert emulator.service_account["private_key"][40:80] not in html
    assert "Test connection" in html


def test_deleting_a_key_removes_it_and_records_who(admin_client, demo_key):
    response = admin_client.post(reverse("key-delete", args=[demo_key.pk]))
    assert response.status_code == 302
    assert not VertexKey.objects.filter(pk=demo_key.pk).exists()
    assert AuditLog.objects.filter(action="delete", object_type="vertexkey").exists()
    assert admin_client.get(reverse("key-delete", args=[demo_key.pk])).status_code in (404, 405)


def test_the_credential_check_answers_with_identity_only(admin_client, service_account_json, service_account):
    data = admin_client.post(reverse("key-credentials-check"), {"credentials": service_account_json}).json()
    assert data == {"ok": True, "client_email": service_account["client_email"],
                    "private_key_id": service_account["private_key_id"], "fingerprint": data["fingerprint"],
                    "project_id": "demo-project"}
    bad = admin_client.post(reverse("key-credentials-check"), {"credentials": "{not json"}).json()
    assert bad["ok"] is False and bad["error"]
    foreign = json.dumps({**service_account, "token_uri": "https://evil.example/token"})
    refused = admin_client.post(reverse("key-credentials-check"), {"credentials": foreign}).json()
    assert refused["ok"] is False and "token_uri" in refused["error"]
    assert "PRIVATE" not in json.dumps(refused)


def test_the_preview_merges_rows_and_warns_about_availability(admin_client):
    response = admin_client.post(reverse("key-preview"), {
        "project_id": "", "region": "europe-west4",
        "dep_alias": ["fast", "opus"], "dep_target": ["gemini-2.0-flash", "claude-opus-4-1@20250805"],
        "dep_region": ["", ""], "allowed": ["fast", "extra-model"]})
    html = response.content.decode()
    assert response.status_code == 200
    assert "fast" in html and "extra-model" in html and "src-allowed" in html
    assert "opus" not in html.split('id="preview-list"')[1]  # allowedModels filters it out
    global_haiku = admin_client.post(reverse("key-preview"), {
        "region": "global", "dep_alias": ["haiku"], "dep_target": ["claude-3-5-haiku@20241022"], "dep_region": [""]})
    assert "not served in global" in global_haiku.content.decode()
    overridden = admin_client.post(reverse("key-preview"), {
        "region": "global", "dep_alias": ["haiku"], "dep_target": ["claude-3-5-haiku@20241022"],
        "dep_region": ["us-east5"]})
    assert "not served" not in overridden.content.decode()
    bad = admin_client.post(reverse("key-preview"), {"region": "global", "dep_alias": ["x"],
                                                     "dep_target": ["???"], "dep_region": [""]})
    assert "would be refused" in bad.content.decode()


@pytest.mark.django_db(transaction=True)
def test_test_connection_mints_a_token_and_lists_models_on_the_emulator(admin_client, demo_key, vertex):
    result = admin_client.post(reverse("key-test", args=[demo_key.pk])).json()
    assert result["ok"] is True and result["token_ok"] is True
    assert result["list_status"] == 200 and result["model_count"] == 5  # every custom model the project has
    assert vertex.requests("/models")


@pytest.mark.django_db(transaction=True)
def test_test_connection_shows_the_exact_failure(admin_client, demo_key, vertex):
    vertex.add_fault(status=403, path_contains="/models")
    result = admin_client.post(reverse("key-test", args=[demo_key.pk])).json()
    assert result["ok"] is False and result["token_ok"] is True
    assert result["list_status"] == 403 and result["error"]


@pytest.mark.django_db(transaction=True)
def test_test_connection_before_saving_uses_the_form_values(admin_client, emulator_settings, vertex):
    result = admin_client.post(reverse("key-test-draft"), {
        "project_id": "demo-project", "region": "us-central1", "credentials": vertex.service_account_json}).json()
    assert result["ok"] is True and result["list_status"] == 200
    assert not VertexKey.objects.exists()


@pytest.mark.django_db(transaction=True)
def test_test_connection_on_an_edited_key_uses_the_stored_credential(admin_client, demo_key, vertex):
    result = admin_client.post(reverse("key-test-draft"), {
        "key_id": demo_key.pk, "project_id": "demo-project", "region": "us-central1", "credentials": ""}).json()
    assert result["ok"] is True


@pytest.mark.django_db(transaction=True)
def test_test_connection_names_an_unknown_service_account(admin_client, emulator_settings, vertex,
                                                          service_account_factory):
    stranger = service_account_factory(name="stranger", token_uri=vertex.token_uri)
    result = admin_client.post(reverse("key-test-draft"), {
        "project_id": "demo-project", "region": "us-central1", "credentials": json.dumps(stranger)}).json()
    assert result["ok"] is False and result["token_ok"] is False
    assert "account not found" in result["error"]  # what the token endpoint said, word for word
    assert result["error"]
    assert stranger["private_key"][40:80] not in json.dumps(result)


def test_test_connection_before_saving_names_missing_fields(admin_client):
    result = admin_client.post(reverse("key-test-draft"), {"project_id": "X", "region": "nowhere"}).json()
    assert result["ok"] is False
    assert set(result["fields"]) == {"project_id", "region", "credentials"}


@pytest.mark.parametrize("problem", ["duplicate_alias", "bad_project", "bad_credential"])
def test_a_refused_form_always_clears_the_pasted_credential_and_says_so(admin_client, service_account_json, problem):
    form = _form(credentials=service_account_json)
    if problem == "duplicate_alias":
        form.update(dep_alias=["same", "same"])
    elif problem == "bad_project":
        form.update(project_id="Not A Project")
    else:
        form.update(credentials=service_account_json[:-5])
    response = admin_client.post(reverse("key-create"), form)
    assert response.status_code == 400
    html = response.content.decode()
    assert "a pasted credential is not sent back to the page: paste it again" in html
    assert "PRIVATE KEY" not in html and service_account_json[40:80] not in html
    assert VertexKey.objects.count() == 0


def test_malformed_credential_json_is_a_whole_sentence_naming_the_field(admin_client, service_account_json):
    response = admin_client.post(reverse("key-create"), _form(credentials='{"type": "service_account",'))
    html = response.content.decode()
    error = html.split('id="err_credentials"')[1].split("</ul>")[0]
    assert "<li>The service-account JSON is not valid JSON (line 1, column" in error
    live = admin_client.post(reverse("key-credentials-check"), {"credentials": "{nope"}).json()
    assert live["error"].startswith("The service-account JSON is not valid JSON (line 1, column 2)")


def test_the_preview_of_a_doubled_alias_shows_the_first_row_and_names_the_alias(admin_client):
    html = admin_client.post(reverse("key-preview"), {
        "region": "us-central1", "dep_alias": ["fast", "fast"], "dep_target": ["gemini-2.0-flash", "gemini-2.5-pro"],
        "dep_region": ["", ""]}).content.decode()
    listed = html.split('id="preview-list"')[1]
    assert "gemini-2.0-flash" in listed and "gemini-2.5-pro" not in listed
    assert "Alias fast is used by more than one deployment row" in html


def test_the_preview_says_which_deployments_allowed_models_hide(admin_client):
    html = admin_client.post(reverse("key-preview"), {
        "region": "us-central1", "dep_alias": ["fast", "pro"], "dep_target": ["gemini-2.0-flash", "gemini-2.5-pro"],
        "dep_region": ["", ""], "allowed": ["fast"]}).content.decode()
    hidden = html.split('id="preview-hidden"')[1].split("</div>")[0]
    assert "<code>pro</code> is not in allowedModels" in hidden and "<code>fast</code>" not in hidden
