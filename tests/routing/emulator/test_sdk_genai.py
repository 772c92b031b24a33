"""google-genai's Client(vertexai=True) works against the emulator with only base_url and token_uri changed."""

from __future__ import annotations

import json
import math

import pytest
from google import genai
from google.genai import errors, types
from google.oauth2 import service_account

SCOPES = ["https://www.googleapis.com/auth/cloud-platform"]


@pytest.fixture(scope="module")
def client(emulator) -> genai.Client:
    """One client per module (building one is slow); tests still take `vertex` for a clean emulator."""
    credentials = service_account.Credentials.from_service_account_info(emulator.service_account, scopes=SCOPES)
    return genai.Client(
        vertexai=True, project=emulator.project_id, location="us-central1", credentials=credentials,
        http_options=types.HttpOptions(base_url=emulator.base_url),
    )


def test_generate_content_answers_with_text_and_usage(client, vertex):
    response = client.models.generate_content(model="gemini-2.0-flash", contents="Describe the northern lights")
    assert "northern lights" in response.text
    usage = response.usage_metadata
    assert usage.prompt_token_count == math.ceil(4 * 1.3)
    assert usage.candidates_token_count >= len(response.text.split())
    assert usage.total_token_count == usage.prompt_token_count + usage.candidates_token_count
    assert response.model_version == "gemini-2.0-flash"
    assert response.response_id
    sent = vertex.requests(":generateContent")[-1]
    assert sent["path"] == (
        "/v1beta1/projects/demo-project/locations/us-central1/publishers/google/models/gemini-2.0-flash:generateContent"
    )
    assert sent["body"]["contents"] == [{"parts": [{"text": "Describe the northern lights"}], "role": "user"}]


def test_generate_content_stream_arrives_in_several_chunks(client, vertex):
    chunks = list(client.models.generate_content_stream(model="gemini-2.0-flash", contents="Tell me about volcanoes"))
    assert len(chunks) >= 3
    whole = client.models.generate_content(model="gemini-2.0-flash", contents="Tell me about volcanoes")
    assert "".join(c.text for c in chunks) == whole.text
    assert chunks[-1].candidates[0].finish_reason == types.FinishReason.STOP
    assert chunks[-1].usage_metadata.total_token_count == whole.usage_metadata.total_token_count


def test_a_system_instruction_shapes_the_answer_and_counts_as_prompt(client, vertex):
    plain = client.models.generate_content(model="gemini-2.0-flash", contents="Greet me")
    pirate = client.models.generate_content(
        model="gemini-2.0-flash", contents="Greet me",
        config=types.GenerateContentConfig(system_instruction="You are a pirate, speak like one"),
    )
    assert pirate.text.startswith("Arr!")
    assert pirate.usage_metadata.prompt_token_count > plain.usage_metadata.prompt_token_count


def test_a_declared_function_is_called_when_the_prompt_carries_the_call_marker(client, vertex):
    tool = types.Tool(
        function_declarations=[
            types.FunctionDeclaration(
                name="get_weather", description="Current weather",
                parameters=types.Schema(
                    type="OBJECT", properties={"city": types.Schema(type="STRING")}, required=["city"]
                ),
            )
        ]
    )
    response = client.models.generate_content(
        model="gemini-2.0-flash", contents="What's the weather in Oslo? [[call:get_weather]]",
        config=types.GenerateContentConfig(tools=[tool]),
    )
    call = response.function_calls[0]
    assert call.name == "get_weather"
    assert call.args == {"city": "Oslo"}


def test_json_mime_type_returns_json_matching_the_schema(client, vertex):
    response = client.models.generate_content(
        model="gemini-2.0-flash", contents="List a recipe",
        config=types.GenerateContentConfig(
            response_mime_type="application/json",
            response_schema={"type": "OBJECT", "properties": {"name": {"type": "STRING"}, "steps": {"type": "INTEGER"}}},
        ),
    )
    data = json.loads(response.text)
    assert isinstance(data["name"], str) and isinstance(data["steps"], int)


def test_thinking_models_report_thought_tokens(client, vertex):
    response = client.models.generate_content(
        model="gemini-2.5-flash", contents="Plan a trip to Rome",
        config=types.GenerateContentConfig(thinking_config=types.ThinkingConfig(include_thoughts=True)),
    )
    usage = response.usage_metadata
    assert usage.thoughts_token_count > 0
    assert usage.total_token_count == (
        usage.prompt_token_count + usage.candidates_token_count + usage.thoughts_token_count
    )
    assert response.candidates[0].content.parts[0].thought is True


def test_count_tokens_counts_the_prompt(client, vertex):
    result = client.models.count_tokens(model="gemini-2.0-flash", contents="one two three four five six")
    assert result.total_tokens == 8


def test_embed_content_with_text_embedding_005_is_deterministic(client, vertex):
    first = client.models.embed_content(model="text-embedding-005", contents=["hello world", "goodbye"])
    again = client.models.embed_content(model="text-embedding-005", contents="hello world")
    assert len(first.embeddings) == 2
    assert len(first.embeddings[0].values) == 768
    assert first.embeddings[0].values == again.embeddings[0].values
    assert first.embeddings[0].values != first.embeddings[1].values
    assert math.isclose(sum(v * v for v in first.embeddings[0].values), 1.0, rel_tol=1e-9)
    assert first.embeddings[0].statistics.token_count == 3
    assert vertex.requests("text-embedding-005:predict")[-1]["body"]["instances"][0] == {"content": "hello world"}


def test_embed_content_honours_output_dimensionality(client, vertex):
    result = client.models.embed_content(
        model="text-embedding-005", contents="hello", config=types.EmbedContentConfig(output_dimensionality=64)
    )
    assert len(result.embeddings[0].values) == 64


def test_gemini_embedding_uses_embed_content_and_works(client, vertex):
    result = client.models.embed_content(model="gemini-embedding-001", contents="hello world")
    assert len(result.embeddings[0].values) == 3072
    assert vertex.requests("gemini-embedding-001:embedContent")
    smaller = client.models.embed_content(
        model="gemini-embedding-001", contents="hello world", config=types.EmbedContentConfig(output_dimensionality=128)
    )
    assert len(smaller.embeddings[0].values) == 128


def test_an_unknown_project_is_permission_denied(vertex):
    credentials = service_account.Credentials.from_service_account_info(vertex.service_account, scopes=SCOPES)
    other = genai.Client(
        vertexai=True, project="someone-elses-project", location="us-central1", credentials=credentials,
        http_options=types.HttpOptions(base_url=vertex.base_url),
    )
    with pytest.raises(errors.ClientError) as caught:
        other.models.generate_content(model="gemini-2.0-flash", contents="hi")
    assert caught.value.code == 403
    assert caught.value.status == "PERMISSION_DENIED"
