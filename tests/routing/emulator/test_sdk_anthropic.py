"""anthropic[vertex]'s AnthropicVertex works against the emulator with only base_url and token_uri changed."""

from __future__ import annotations

import anthropic
import pytest
from anthropic import AnthropicVertex
from google.oauth2 import service_account

SCOPES = ["https://www.googleapis.com/auth/cloud-platform"]
SONNET = "claude-sonnet-4-5@20250929"


@pytest.fixture(scope="module")
def claude(emulator) -> AnthropicVertex:
    """One client per module (building one is slow); tests still take `vertex` for a clean emulator."""
    credentials = service_account.Credentials.from_service_account_info(emulator.service_account, scopes=SCOPES)
    return AnthropicVertex(
        region="us-east5", project_id=emulator.project_id, credentials=credentials, base_url=emulator.base_url + "/v1"
    )


def test_messages_create_answers_with_text_and_usage(claude, vertex):
    message = claude.messages.create(
        model=SONNET, max_tokens=512, messages=[{"role": "user", "content": "Explain photosynthesis to a child"}]
    )
    assert message.role == "assistant"
    assert message.content[0].type == "text"
    assert "photosynthesis" in message.content[0].text
    assert message.stop_reason == "end_turn"
    assert message.usage.output_tokens >= len(message.content[0].text.split())
    assert message.model == "claude-sonnet-4-5-20250929"
    sent = vertex.requests(":rawPredict")[-1]
    assert sent["path"] == (
        "/v1/projects/demo-project/locations/us-east5/publishers/anthropic/models/claude-sonnet-4-5@20250929:rawPredict"
    )
    assert "model" not in sent["body"]
    assert sent["body"]["anthropic_version"]
    assert sent["headers"]["authorization"].startswith("Bearer ya29.")


def test_the_same_prompt_gets_the_same_answer(claude, vertex):
    ask = {"model": SONNET, "max_tokens": 256, "messages": [{"role": "user", "content": "Name a colour"}]}
    assert claude.messages.create(**ask).content[0].text == claude.messages.create(**ask).content[0].text


def test_messages_stream_delivers_the_full_event_sequence(claude, vertex):
    with claude.messages.stream(
        model=SONNET, max_tokens=512, messages=[{"role": "user", "content": "Write about the sea"}]
    ) as stream:
        kinds = [event.type for event in stream]
        final = stream.get_final_message()
    assert kinds[0] == "message_start"
    assert "content_block_start" in kinds and "content_block_stop" in kinds
    assert kinds.count("text") >= 2
    assert kinds[-2:] == ["message_delta", "message_stop"]
    assert final.stop_reason == "end_turn"
    assert final.usage.output_tokens > 10
    assert vertex.requests(":streamRawPredict")


def test_count_tokens_uses_the_count_tokens_model_path(claude, vertex):
    result = claude.messages.count_tokens(model=SONNET, messages=[{"role": "user", "content": "one two three four"}])
    assert result.input_tokens > 4
    sent = vertex.requests("count-tokens")[-1]
    assert sent["path"].endswith("/publishers/anthropic/models/count-tokens:rawPredict")
    assert sent["body"]["model"] == SONNET


def test_a_tool_is_called_when_the_last_turn_carries_the_call_marker(claude, vertex):
    tools = [
        {
            "name": "get_weather",
            "description": "Weather for a city",
            "input_schema": {"type": "object", "properties": {"location": {"type": "string"}}, "required": ["location"]},
        }
    ]
    message = claude.messages.create(
        model=SONNET, max_tokens=512, tools=tools,
        messages=[{"role": "user", "content": "What is the weather in Lisbon? [[call:get_weather]]"}],
    )
    assert message.stop_reason == "tool_use"
    use = next(block for block in message.content if block.type == "tool_use")
    assert use.name == "get_weather"
    assert use.input == {"location": "Lisbon"}


def test_streamed_tool_use_arrives_as_input_json_deltas(claude, vertex):
    tools = [{"name": "lookup", "input_schema": {"type": "object", "properties": {"query": {"type": "string"}}}}]
    with claude.messages.stream(
        model=SONNET, max_tokens=512, tools=tools, messages=[{"role": "user", "content": "please lookup cats [[call:lookup]]"}]
    ) as stream:
        kinds = [event.type for event in stream]
        final = stream.get_final_message()
    assert "input_json" in kinds
    assert final.content[-1].type == "tool_use"
    assert "cats" in final.content[-1].input["query"]
    plain = claude.messages.create(
        model=SONNET, max_tokens=512, tools=tools, messages=[{"role": "user", "content": "please lookup cats [[call:lookup]]"}]
    )
    assert final.content[-1].input == plain.content[-1].input


def test_thinking_blocks_come_first_with_a_signature(claude, vertex):
    message = claude.messages.create(
        model=SONNET, max_tokens=4096, thinking={"type": "enabled", "budget_tokens": 2048},
        messages=[{"role": "user", "content": "Why is the sky blue?"}],
    )
    assert [b.type for b in message.content] == ["thinking", "text"]
    assert message.content[0].signature
    with claude.messages.stream(
        model=SONNET, max_tokens=4096, thinking={"type": "enabled", "budget_tokens": 2048},
        messages=[{"role": "user", "content": "Why is the sky blue?"}],
    ) as stream:
        kinds = [event.type for event in stream]
        final = stream.get_final_message()
    assert "thinking" in kinds and "signature" in kinds
    assert final.content[0].thinking == message.content[0].thinking


def test_a_thinking_budget_under_1024_is_rejected(claude, vertex):
    with pytest.raises(anthropic.BadRequestError) as caught:
        claude.messages.create(
            model=SONNET, max_tokens=4096, thinking={"type": "enabled", "budget_tokens": 512},
            messages=[{"role": "user", "content": "hi"}],
        )
    assert "budget_tokens" in str(caught.value)


def test_a_model_not_served_in_the_region_gets_vertex_404(claude, vertex):
    vertex.set_availability("claude-3-5-haiku", "us-east5", served=False)
    with pytest.raises(anthropic.NotFoundError) as caught:
        claude.messages.create(
            model="claude-3-5-haiku@20241022", max_tokens=64, messages=[{"role": "user", "content": "hi"}]
        )
    assert "Publisher Model `projects/demo-project/locations/us-east5/publishers/anthropic/models/" in str(caught.value)
