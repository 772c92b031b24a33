"""Anthropic Messages <-> Chat Completions for the chat families that are not Claude (Gemini...)."""

from __future__ import annotations

import pytest

from routing.errors import InvalidRequestError
from routing.families.gemini import GeminiAdapter
from routing.messages import AnthropicEvents, chat_to_message, encode_event, messages_to_chat

PNG = "iVBORw0KGgo="
TOOL = {"name": "Bash", "description": "Run a command", "cache_control": {"type": "ephemeral"},
        "input_schema": {"type": "object", "properties": {"command": {"type": "string"}}}}


def test_a_claude_code_shaped_body_becomes_a_chat_body():
    chat = messages_to_chat({
        "model": "flash", "max_tokens": 1000, "temperature": 0.5, "top_p": 0.9, "top_k": 40,
        "stop_sequences": ["END"], "metadata": {"user_id": "u1"},
        "system": [{"type": "text", "text": "One.", "cache_control": {"type": "ephemeral"}},
                   {"type": "text", "text": "Two."}],
        "tools": [TOOL], "tool_choice": {"type": "any", "disable_parallel_tool_use": True},
        "context_management": {"edits": []},
        "messages": [
            {"role": "user", "content": [
                {"type": "image", "source": {"type": "base64", "media_type": "image/png", "data": PNG}},
                {"type": "document", "source": {"type": "base64", "media_type": "application/pdf", "data": "JVBE"}},
                {"type": "document", "source": {"type": "text", "media_type": "text/plain", "data": "notes"}},
                {"type": "text", "text": "Look", "cache_control": {"type": "ephemeral"}}]},
            {"role": "assistant", "content": [
                {"type": "thinking", "thinking": "hmm", "signature": "sig"},
                {"type": "text", "text": "Running it."},
                {"type": "tool_use", "id": "call_1__thought__c2ln", "name": "Bash", "input": {"command": "ls"}}]},
            {"role": "user", "content": [
                {"type": "tool_result", "tool_use_id": "call_1__thought__c2ln",
                 "content": [{"type": "text", "text": "a.txt"}]},
                {"type": "text", "text": "And now?"}]},
        ],
    })

    assert chat == {
        "model": "flash", "max_tokens": 1000, "temperature": 0.5, "top_p": 0.9, "top_k": 40, "stop": ["END"],
        "user": "u1", "tool_choice": "required", "parallel_tool_calls": False,
        "tools": [{"type": "function", "function": {"name": "Bash", "description": "Run a command",
                                                    "parameters": TOOL["input_schema"]}}],
        "messages": [
            {"role": "system", "content": "One.\n\nTwo."},
            {"role": "user", "content": [
                {"type": "image_url", "image_url": {"url": f"data:image/png;base64,{PNG}"}},
                {"type": "file", "file": {"file_data": "data:application/pdf;base64,JVBE"}},
                {"type": "text", "text": "notes"}, {"type": "text", "text": "Look"}]},
            {"role": "assistant", "content": "Running it.", "tool_calls": [
                {"id": "call_1__thought__c2ln", "type": "function",
                 "function": {"name": "Bash", "arguments": '{"command":"ls"}'}}]},
            {"role": "tool", "tool_call_id": "call_1__thought__c2ln", "content": "a.txt"},
            {"role": "user", "content": [{"type": "text", "text": "And now?"}]},
        ],
    }


@pytest.mark.parametrize(("choice", "expected"), [
    ({"type": "auto"}, {"tool_choice": "auto"}), ({"type": "none"}, {"tool_choice": "none"}),
    ({"type": "tool", "name": "Bash"}, {"tool_choice": {"type": "function", "function": {"name": "Bash"}}}),
])
def test_tool_choice_maps(choice, expected):
    chat = messages_to_chat({"model": "m", "tools": [TOOL], "tool_choice": choice,
                             "messages": [{"role": "user", "content": "hi"}]})
    assert {k: chat[k] for k in expected} == expected and "parallel_tool_calls" not in chat


def test_thinking_effort_and_json_format_map_to_the_chat_extensions():
    enabled = messages_to_chat({"model": "m", "thinking": {"type": "enabled", "budget_tokens": 2048},
                                "output_config": {"effort": "low"}, "messages": [{"role": "user", "content": "x"}]})
    effort = messages_to_chat({"model": "m", "output_config": {"effort": "medium", "format": {
        "type": "json_schema", "schema": {"type": "object"}}}, "messages": [{"role": "user", "content": "x"}]})
    disabled = messages_to_chat({"model": "m", "thinking": {"type": "disabled"},
                                 "messages": [{"role": "user", "content": "x"}]})

    assert enabled["thinking"] == {"type": "enabled", "budget_tokens": 2048} and enabled["include_thoughts"]
    assert "reasoning_effort" not in enabled  # thinking already sets the budget
    assert effort["reasoning_effort"] == "medium"
    assert effort["response_format"] == {"type": "json_schema", "json_schema": {"name": "response",
                                                                               "schema": {"type": "object"}}}
    assert "thinking" not in disabled and "include_thoughts" not in disabled


def test_the_gemini_body_carries_the_translation():
    chat = messages_to_chat({"model": "flash", "max_tokens": 100, "top_k": 20, "system": "Be brief.",
                             "thinking": {"type": "enabled", "budget_tokens": 1024}, "tools": [TOOL],
                             "messages": [{"role": "user", "content": "hi"}]})
    body = GeminiAdapter().build_chat(chat, target="gemini-2.5-flash", model="flash").body

    assert body["systemInstruction"]["parts"] == [{"text": "Be brief."}]
    assert body["generationConfig"] == {"maxOutputTokens": 100, "topK": 20,
                                        "thinkingConfig": {"thinkingBudget": 1024, "includeThoughts": True}}
    assert body["tools"][0]["functionDeclarations"][0]["name"] == "Bash"


@pytest.mark.parametrize(("body", "param"), [
    ({"tools": [{"type": "web_search_20250305", "name": "web_search"}]}, "tools[0].type"),
    ({"tools": [{"type": "bash_20250124", "name": "bash"}]}, "tools[0].type"),
    ({"mcp_servers": [{"url": "https://x"}]}, "mcp_servers"),
    ({"container": "c1"}, "container"),
    ({"messages": [{"role": "user", "content": [{"type": "tool_result", "tool_use_id": "t", "content": [
        {"type": "image", "source": {"type": "base64", "media_type": "image/png", "data": PNG}}]}]}]},
     "messages[0].content[0].content[0].type"),
    ({"messages": [{"role": "user", "content": [{"type": "document", "source": {
        "type": "base64", "media_type": "application/msword", "data": "x"}}]}]}, "messages[0].content[0].source"),
    ({"messages": [{"role": "user", "content": [{"type": "search_result"}]}]}, "messages[0].content[0].type"),
    ({"messages": [{"role": "system", "content": "x"}]}, "messages[0].role"),
    ({"messages": []}, "messages"),
    ({"thinking": {"type": "sometimes"}}, "thinking.type"),
    ({"output_config": {"effort": "max"}}, "output_config.effort"),
])
def test_what_cannot_be_translated_is_refused_naming_the_field(body, param):
    with pytest.raises(InvalidRequestError) as caught:
        messages_to_chat({"model": "m", "messages": [{"role": "user", "content": "hi"}], **body})
    assert caught.value.param == param


def test_a_chat_completion_becomes_a_message():
    message = chat_to_message({
        "id": "chatcmpl-abc", "choices": [{"index": 0, "finish_reason": "tool_calls", "message": {
            "role": "assistant", "content": "Let me check.", "reasoning_content": "Thinking...",
            "tool_calls": [{"id": "call_9", "type": "function",
                            "function": {"name": "Bash", "arguments": '{"command":"ls"}'}}]}}],
        "usage": {"prompt_tokens": 120, "completion_tokens": 30,
                  "prompt_tokens_details": {"cached_tokens": 100}}}, model="flash")

    assert message == {
        "id": "msg_abc", "type": "message", "role": "assistant", "model": "flash",
        "content": [{"type": "thinking", "thinking": "Thinking...", "signature": ""},
                    {"type": "text", "text": "Let me check."},
                    {"type": "tool_use", "id": "call_9", "name": "Bash", "input": {"command": "ls"}}],
        "stop_reason": "tool_use", "stop_sequence": None,
        "usage": {"input_tokens": 20, "output_tokens": 30, "cache_read_input_tokens": 100,
                  "cache_creation_input_tokens": 0}}


@pytest.mark.parametrize(("finish", "stop"), [("stop", "end_turn"), ("length", "max_tokens"),
                                              ("content_filter", "refusal")])
def test_finish_reasons_map_to_stop_reasons(finish, stop):
    completion = {"choices": [{"finish_reason": finish, "message": {"content": "x"}}]}
    assert chat_to_message(completion, model="m")["stop_reason"] == stop


def _chunk(delta=None, finish=None, usage=None):
    choices = [] if delta is None and finish is None else [{"index": 0, "delta": delta or {}, "finish_reason": finish}]
    return {"id": "chatcmpl-s1", "choices": choices, **({"usage": usage} if usage else {})}


def test_chat_chunks_become_anthropic_events_block_by_block():
    events = AnthropicEvents(model="flash")
    out = []
    for chunk in [_chunk({"role": "assistant", "reasoning_content": "Hm"}), _chunk({"reasoning_content": "m."}),
                  _chunk({"content": "Hi"}), _chunk({"content": " there"}),
                  _chunk({"tool_calls": [{"index": 0, "id": "call_1", "type": "function",
                                          "function": {"name": "Bash", "arguments": '{"command":"ls"}'}}]}),
                  _chunk(finish="tool_calls"), _chunk(usage={"prompt_tokens": 10, "completion_tokens": 5})]:
        out += events.feed(chunk)
    out += events.finish()

    assert out == [
        {"type": "message_start", "message": {"id": "msg_s1", "type": "message", "role": "assistant",
                                              "model": "flash", "content": [], "stop_reason": None,
                                              "stop_sequence": None, "usage": {"input_tokens": 0, "output_tokens": 0}}},
        {"type": "content_block_start", "index": 0, "content_block": {"type": "thinking", "thinking": "",
                                                                      "signature": ""}},
        {"type": "content_block_delta", "index": 0, "delta": {"type": "thinking_delta", "thinking": "Hm"}},
        {"type": "content_block_delta", "index": 0, "delta": {"type": "thinking_delta", "thinking": "m."}},
        {"type": "content_block_stop", "index": 0},
        {"type": "content_block_start", "index": 1, "content_block": {"type": "text", "text": ""}},
        {"type": "content_block_delta", "index": 1, "delta": {"type": "text_delta", "text": "Hi"}},
        {"type": "content_block_delta", "index": 1, "delta": {"type": "text_delta", "text": " there"}},
        {"type": "content_block_stop", "index": 1},
        {"type": "content_block_start", "index": 2, "content_block": {"type": "tool_use", "id": "call_1",
                                                                      "name": "Bash", "input": {}}},
        {"type": "content_block_delta", "index": 2, "delta": {"type": "input_json_delta",
                                                              "partial_json": '{"command":"ls"}'}},
        {"type": "content_block_stop", "index": 2},
        {"type": "message_delta", "delta": {"stop_reason": "tool_use", "stop_sequence": None},
         "usage": {"input_tokens": 10, "output_tokens": 5, "cache_read_input_tokens": 0,
                   "cache_creation_input_tokens": 0}},
        {"type": "message_stop"},
    ]


def test_an_empty_stream_still_closes_the_message():
    events = AnthropicEvents(model="m")
    assert [e["type"] for e in events.finish()] == ["message_start", "message_delta", "message_stop"]


def test_events_encode_as_anthropic_sse():
    assert encode_event({"type": "ping"}) == b'event: ping\ndata: {"type":"ping"}\n\n'
