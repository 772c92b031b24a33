"""Responses API <-> Chat Completions conversion, and the stream translator."""

from __future__ import annotations

import pytest

from routing.errors import InvalidRequestError
from routing.families.gemini import GeminiAdapter
from routing.responses import ResponsesStreamTranslator, chat_to_response, responses_to_chat


def test_a_string_input_with_instructions_becomes_system_and_user_messages():
    chat = responses_to_chat({"model": "m", "input": "Hi", "instructions": "Be brief.", "max_output_tokens": 50,
                              "temperature": 0.2, "reasoning": {"effort": "low"}})
    assert chat == {"model": "m", "messages": [{"role": "system", "content": "Be brief."},
                                               {"role": "user", "content": "Hi"}],
                    "temperature": 0.2, "max_completion_tokens": 50, "reasoning_effort": "low"}


def test_input_items_become_messages_tool_calls_and_tool_results():
    chat = responses_to_chat({"model": "m", "input": [
        {"role": "user", "content": [{"type": "input_text", "text": "Weather?"},
                                     {"type": "input_image", "image_url": "https://x.test/a.png"}]},
        {"type": "function_call", "call_id": "c1", "name": "w", "arguments": '{"city":"Paris"}'},
        {"type": "function_call", "call_id": "c2", "name": "w", "arguments": '{"city":"Rome"}'},
        {"type": "function_call_output", "call_id": "c1", "output": "21C"},
        {"type": "function_call_output", "call_id": "c2", "output": "25C"},
    ], "tools": [{"type": "function", "name": "w", "parameters": {"type": "object"}}],
        "tool_choice": {"type": "function", "name": "w"}, "stream": True})
    assert chat["messages"] == [
        {"role": "user", "content": [{"type": "text", "text": "Weather?"},
                                     {"type": "image_url", "image_url": {"url": "https://x.test/a.png"}}]},
        {"role": "assistant", "content": None, "tool_calls": [
            {"id": "c1", "type": "function", "function": {"name": "w", "arguments": '{"city":"Paris"}'}},
            {"id": "c2", "type": "function", "function": {"name": "w", "arguments": '{"city":"Rome"}'}}]},
        {"role": "tool", "tool_call_id": "c1", "content": "21C"},
        {"role": "tool", "tool_call_id": "c2", "content": "25C"},
    ]
    assert chat["tools"] == [{"type": "function", "function": {"name": "w", "parameters": {"type": "object"}}}]
    assert chat["tool_choice"] == {"type": "function", "function": {"name": "w"}}
    assert chat["stream"] is True and chat["stream_options"] == {"include_usage": True}


def test_text_format_json_schema_becomes_response_format():
    chat = responses_to_chat({"model": "m", "input": "x", "text": {"format": {
        "type": "json_schema", "name": "out", "schema": {"type": "object"}, "strict": True}}})
    assert chat["response_format"] == {"type": "json_schema", "json_schema": {
        "name": "out", "schema": {"type": "object"}, "strict": True}}


@pytest.mark.parametrize(("request_", "param"), [
    ({"input": "x", "previous_response_id": "resp_1"}, "previous_response_id"),
    ({"input": []}, "input"),
    ({"input": [{"type": "web_search_call"}]}, r"input\[0\].type"),
    ({"input": "x", "tools": [{"type": "web_search"}]}, r"tools\[0\].type"),
])
def test_it_rejects_what_it_cannot_serve_naming_the_parameter(request_, param):
    with pytest.raises(InvalidRequestError, match=param):
        responses_to_chat({"model": "m", **request_})


COMPLETION = {
    "id": "chatcmpl-1", "object": "chat.completion", "created": 1700000000, "model": "m",
    "choices": [{"index": 0, "finish_reason": "tool_calls", "message": {
        "role": "assistant", "content": "Checking.",
        "tool_calls": [{"id": "c1", "type": "function", "function": {"name": "w", "arguments": "{}"}}]}}],
    "usage": {"prompt_tokens": 10, "completion_tokens": 5, "total_tokens": 15,
              "prompt_tokens_details": {"cached_tokens": 4}, "completion_tokens_details": {"reasoning_tokens": 2}},
}


def test_a_completion_becomes_a_response_with_message_and_function_call_items():
    response = chat_to_response(COMPLETION, {"model": "m", "input": "x", "instructions": "Be brief."})
    assert response["object"] == "response" and response["status"] == "completed"
    assert response["id"].startswith("resp_") and response["instructions"] == "Be brief."
    message, call = response["output"]
    assert message["type"] == "message" and message["content"] == [
        {"type": "output_text", "text": "Checking.", "annotations": []}]
    assert call == {"type": "function_call", "id": call["id"], "call_id": "c1", "name": "w", "arguments": "{}",
                    "status": "completed"}
    assert response["usage"] == {"input_tokens": 10, "input_tokens_details": {"cached_tokens": 4,
                                                                               "cache_write_tokens": 0},
                                 "output_tokens": 5, "output_tokens_details": {"reasoning_tokens": 2},
                                 "total_tokens": 15}


def test_responses_usage_carries_every_detail_the_sdk_requires_even_when_the_family_reports_none():
    from openai.types.responses import ResponseUsage

    bare = chat_to_response({**COMPLETION, "usage": {"prompt_tokens": 3, "completion_tokens": 4,
                                                     "total_tokens": 7}}, {"model": "m", "input": "x"})
    assert bare["usage"]["input_tokens_details"] == {"cached_tokens": 0, "cache_write_tokens": 0}
    assert bare["usage"]["output_tokens_details"] == {"reasoning_tokens": 0}
    ResponseUsage.model_validate(bare["usage"])


def test_claude_cache_writes_reach_the_responses_usage():
    from routing.families.anthropic_stream import claude_usage

    chat_usage = claude_usage({"input_tokens": 10, "output_tokens": 2, "cache_read_input_tokens": 100,
                               "cache_creation_input_tokens": 5})
    response = chat_to_response({**COMPLETION, "usage": chat_usage}, {"model": "m", "input": "x"})
    assert response["usage"]["input_tokens"] == 115
    assert response["usage"]["input_tokens_details"] == {"cached_tokens": 100, "cache_write_tokens": 5}


def test_a_length_stop_is_an_incomplete_response():
    completion = {**COMPLETION, "choices": [{"index": 0, "finish_reason": "length",
                                             "message": {"role": "assistant", "content": "Trunc"}}]}
    response = chat_to_response(completion, {"model": "m", "input": "x"})
    assert response["status"] == "incomplete"
    assert response["incomplete_details"] == {"reason": "max_output_tokens"}
    assert [item["status"] for item in response["output"]] == ["incomplete"]
    assert "completed_at" not in response


def test_only_the_item_being_written_when_the_answer_was_cut_is_incomplete():
    completion = {**COMPLETION, "choices": [{"index": 0, "finish_reason": "length", "message": {
        "role": "assistant", "content": "Trunc", "reasoning_content": "Let me think."}}]}
    response = chat_to_response(completion, {"model": "m", "input": "x"})
    assert [(item["type"], item["status"]) for item in response["output"]] == [
        ("reasoning", "completed"), ("message", "incomplete")]


def test_a_stream_cut_by_the_token_limit_ends_incomplete_with_an_incomplete_message():
    translator = ResponsesStreamTranslator({"model": "m", "input": "x", "max_output_tokens": 3})
    base = {"object": "chat.completion.chunk", "id": "c", "model": "m"}
    events = []
    for delta, reason in (({"reasoning_content": "Hmm"}, None), ({"content": "Once upon"}, None), ({}, "length")):
        events += translator.feed({**base, "choices": [{"index": 0, "delta": delta, "finish_reason": reason}]})
    events += translator.finish()
    done = [e["item"] for e in events if e["type"] == "response.output_item.done"]
    assert [(item["type"], item["status"]) for item in done] == [("reasoning", "completed"), ("message", "incomplete")]
    last = events[-1]
    assert last["type"] == "response.incomplete"
    assert last["response"]["status"] == "incomplete"
    assert last["response"]["incomplete_details"] == {"reason": "max_output_tokens"}
    assert [item["status"] for item in last["response"]["output"]] == ["completed", "incomplete"]


def _chunks_from_gemini():
    translator = GeminiAdapter().stream_translator(model="m", include_usage=True)
    chunks = []
    for event in [
        {"candidates": [{"content": {"parts": [{"text": "Hel"}]}}]},
        {"candidates": [{"content": {"parts": [{"text": "lo"}]}}]},
        {"candidates": [{"content": {"parts": [{"functionCall": {"name": "w", "args": {"a": 1}}}]},
                         "finishReason": "STOP"}],
         "usageMetadata": {"promptTokenCount": 3, "candidatesTokenCount": 4, "totalTokenCount": 7}},
    ]:
        chunks += translator.feed(None, event)
    return chunks + translator.finish()


def test_the_stream_translator_emits_the_responses_event_sequence():
    translator = ResponsesStreamTranslator({"model": "m", "input": "x"})
    events = []
    for chunk in _chunks_from_gemini():
        events += translator.feed(chunk)
    events += translator.finish()
    assert [e["type"] for e in events] == [
        "response.created", "response.in_progress",
        "response.output_item.added", "response.content_part.added",
        "response.output_text.delta", "response.output_text.delta",
        "response.output_text.done", "response.content_part.done", "response.output_item.done",
        "response.output_item.added", "response.function_call_arguments.delta",
        "response.function_call_arguments.done", "response.output_item.done",
        "response.completed",
    ]
    assert [e["sequence_number"] for e in events] == list(range(len(events)))
    assert [e["delta"] for e in events if e["type"] == "response.output_text.delta"] == ["Hel", "lo"]
    text_done = next(e for e in events if e["type"] == "response.output_text.done")
    assert text_done["text"] == "Hello"
    call_done = next(e for e in events if e["type"] == "response.function_call_arguments.done")
    assert call_done["arguments"] == '{"a":1}' and call_done["name"] == "w"
    completed = events[-1]["response"]
    assert completed["status"] == "completed"
    assert [item["type"] for item in completed["output"]] == ["message", "function_call"]
    assert completed["output"][0]["content"][0]["text"] == "Hello"
    assert completed["usage"]["input_tokens"] == 3 and completed["usage"]["output_tokens"] == 4


def test_the_first_text_chunk_is_forwarded_before_the_stream_ends():
    translator = ResponsesStreamTranslator({"model": "m", "input": "x"})
    events = translator.feed(_chunks_from_gemini()[0])
    assert events[-1]["type"] == "response.output_text.delta" and events[-1]["delta"] == "Hel"


def test_visible_thinking_becomes_a_reasoning_item_before_the_message():
    completion = {**COMPLETION, "choices": [{"index": 0, "finish_reason": "stop", "message": {
        "role": "assistant", "content": "42", "reasoning_content": "Let me think."}}]}
    response = chat_to_response(completion, {"model": "m", "input": "x"})
    assert [item["type"] for item in response["output"]] == ["reasoning", "message"]
    assert response["output"][0]["summary"] == [{"type": "summary_text", "text": "Let me think."}]


def test_streamed_thinking_is_a_reasoning_summary_closed_before_the_text():
    translator = ResponsesStreamTranslator({"model": "m", "input": "x"})
    base = {"object": "chat.completion.chunk", "id": "c", "model": "m"}
    events = []
    for delta in ({"reasoning_content": "Hmm"}, {"reasoning_content": "."}, {"content": "Done"}):
        events += translator.feed({**base, "choices": [{"index": 0, "delta": delta, "finish_reason": None}]})
    events += translator.finish()
    types_ = [e["type"] for e in events]
    assert types_[2:6] == ["response.output_item.added", "response.reasoning_summary_part.added",
                           "response.reasoning_summary_text.delta", "response.reasoning_summary_text.delta"]
    done = types_.index("response.reasoning_summary_text.done")
    assert done < types_.index("response.output_text.delta")
    assert events[done]["text"] == "Hmm."
    assert [i["type"] for i in events[-1]["response"]["output"]] == ["reasoning", "message"]


def test_timestamps_are_whole_seconds_as_openai_sends_them():
    response = chat_to_response(COMPLETION, {"model": "m", "input": "x"})
    assert type(response["created_at"]) is int and response["created_at"] == 1700000000
    assert type(response["completed_at"]) is int
    translator = ResponsesStreamTranslator({"model": "m", "input": "x"})
    events = []
    for chunk in _chunks_from_gemini():
        events += translator.feed(chunk)
    events += translator.finish()
    assert type(events[0]["response"]["created_at"]) is int
    assert type(events[-1]["response"]["created_at"]) is int and type(events[-1]["response"]["completed_at"]) is int
