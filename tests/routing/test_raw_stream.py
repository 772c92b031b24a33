"""RawRouteStream: bytes relayed event by event as they came, usage read on the way, errors end it."""

from __future__ import annotations

import orjson
import pytest

from routing.errors import StreamInterruptedError
from routing.raw_stream import RawRelay, RawRouteStream, split_events
from routing.route_stream import StreamRoute
from routing.usage import Usage, usage_dict, usage_from

START = (b'event: message_start\ndata: {"type":"message_start","message":{"id":"msg_1","usage":'
         b'{"input_tokens":12,"cache_creation_input_tokens":100,"cache_read_input_tokens":300,"output_tokens":1}}}\n\n')
DELTA = b'event: content_block_delta\ndata: {"type":"content_block_delta","index":0,"delta":{"type":"text_delta","text":"Hi"}}\n\n'
END = b'event: message_delta\ndata: {"type":"message_delta","delta":{"stop_reason":"end_turn"},"usage":{"output_tokens":7}}\n\n'
STOP = b'event: message_stop\ndata: {"type":"message_stop"}\n\n'
ERROR = b'event: error\ndata: {"type":"error","error":{"type":"overloaded_error","message":"Overloaded"}}\n\n'


class FakeResponse:
    closed = 0

    async def aclose(self) -> None:
        self.closed += 1


async def chunks(parts):
    for part in parts:
        yield part


def stream_of(parts: list[bytes], family: str = "anthropic", sse: bool = True) -> RawRouteStream:
    route = StreamRoute(attempts=[], key_id="k", key_name="K", region="global", host="h", target="t",
                        family=family, model="m", wire_request={}, betas_dropped=["x-1"])
    raw = chunks(parts[1:])
    return RawRouteStream(route, FakeResponse(), raw, parts[0], RawRelay(family), started=0.0, sse=sse)  # type: ignore[arg-type]


def test_split_events_keeps_terminators_and_waits_for_incomplete_events():
    buffer = bytearray(b"data: 1\r\n\r\ndata: 2\n\nevent: x\ndata: 3\n")
    assert split_events(buffer) == [b"data: 1\r\n\r\n", b"data: 2\n\n"]
    assert buffer == bytearray(b"event: x\ndata: 3\n")
    buffer += b"\n"
    assert split_events(buffer) == [b"event: x\ndata: 3\n\n"]


async def test_events_split_across_chunks_come_out_whole_and_unchanged():
    body = START + DELTA + END + STOP
    parts = [body[:7], body[7:len(START) + 5], body[len(START) + 5:-3], body[-3:]]
    stream = stream_of(parts)

    items = [item async for item in stream]

    assert items == [START, DELTA, END, STOP]
    # input_tokens counts the whole prompt (routing.usage): 12 uncached + 300 read + 100 written.
    assert stream.usage == {"input_tokens": 412, "output_tokens": 7, "cache_read_tokens": 300,
                            "cache_write_tokens": 100}
    assert stream.betas_dropped == ["x-1"] and stream.ttft_ms is not None


async def test_an_error_event_ends_the_stream_after_what_came_before_it():
    stream = stream_of([START + DELTA + ERROR + STOP])
    received = []
    with pytest.raises(StreamInterruptedError) as caught:
        async for item in stream:
            received.append(item)
    assert received == [START, DELTA]
    assert "overloaded_error" in caught.value.user_message
    assert caught.value.upstream_body == {"error": {"type": "overloaded_error", "message": "Overloaded"}}


async def test_an_event_that_is_not_json_ends_the_stream():
    stream = stream_of([START, b"event: content_block_delta\ndata: {not json\n\n"])
    with pytest.raises(StreamInterruptedError):
        _ = [item async for item in stream]


async def test_a_gemini_error_chunk_ends_the_stream():
    stream = stream_of([b'data: {"error": {"code": 500, "message": "boom"}}\r\n\r\n'], family="gemini")
    with pytest.raises(StreamInterruptedError):
        _ = [item async for item in stream]


async def test_a_json_array_stream_is_relayed_as_it_comes_and_its_usage_read_at_the_end():
    body = orjson.dumps([{"candidates": []}, {"usageMetadata": {"promptTokenCount": 9, "candidatesTokenCount": 4,
                                                                 "thoughtsTokenCount": 2}}])
    stream = stream_of([body[:10], body[10:]], family="gemini", sse=False)
    items = [item async for item in stream]
    assert b"".join(items) == body and len(items) == 2
    assert stream.usage == {"input_tokens": 9, "output_tokens": 6, "cache_read_tokens": 0, "cache_write_tokens": 0}


def test_usage_normalises_gemini_and_openai_shapes():
    assert usage_dict({"promptTokenCount": 100, "cachedContentTokenCount": 60, "candidatesTokenCount": 5,
                       "thoughtsTokenCount": 3}) == {"input_tokens": 100, "output_tokens": 8,
                                                     "cache_read_tokens": 60, "cache_write_tokens": 0}
    assert usage_dict({"prompt_tokens": 500, "completion_tokens": 9, "prompt_tokens_details": {
        "cached_tokens": 300, "cache_write_tokens": 100}}) == {"input_tokens": 500, "output_tokens": 9,
                                                                "cache_read_tokens": 300, "cache_write_tokens": 100}
    assert usage_dict(None) is None


def test_the_pipeline_reads_the_native_usage_dict_back_whole():
    native = {"input_tokens": 412, "output_tokens": 7, "cache_read_tokens": 300, "cache_write_tokens": 100}
    assert usage_from(native) == Usage(input_tokens=412, output_tokens=7, cache_read_tokens=300,
                                       cache_write_tokens=100)


def test_usage_is_read_from_openai_shaped_chunks_too():
    from routing.usage import UsageReader

    reader = UsageReader()
    assert not reader.read({"choices": [{"delta": {"content": "x"}}]})
    assert reader.read({"choices": [], "usage": {"prompt_tokens": 7, "completion_tokens": 2}})
    assert reader.normalised() == {"input_tokens": 7, "output_tokens": 2, "cache_read_tokens": 0,
                                   "cache_write_tokens": 0}
