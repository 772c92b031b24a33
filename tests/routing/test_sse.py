"""The incremental SSE decoder: events come out the same however the bytes are split."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from routing.sse import SSEDecoder


def decode_all(chunks: list[bytes]) -> list[tuple[str | None, str]]:
    decoder = SSEDecoder()
    events = []
    for chunk in chunks:
        events.extend(decoder.feed(chunk))
    events.extend(decoder.finish())
    return events


def test_it_decodes_data_lines_into_events():
    stream = b'data: {"a": 1}\n\ndata: {"a": 2}\n\n'
    assert decode_all([stream]) == [(None, '{"a": 1}'), (None, '{"a": 2}')]


def test_it_reads_event_names_as_anthropic_sends_them():
    stream = b'event: message_start\ndata: {"type":"message_start"}\n\nevent: ping\ndata: {}\n\n'
    assert decode_all([stream]) == [("message_start", '{"type":"message_start"}'), ("ping", "{}")]


def test_it_joins_multi_line_data_with_newlines():
    assert decode_all([b"data: one\ndata: two\ndata:three\n\n"]) == [(None, "one\ntwo\nthree")]


def test_it_skips_comments_and_unknown_fields():
    stream = b": keep-alive\nid: 7\nretry: 100\ndata: x\n: another\n\n"
    assert decode_all([stream]) == [(None, "x")]


def test_it_accepts_crlf_and_lone_cr_line_endings():
    assert decode_all([b"data: a\r\n\r\ndata: b\r\rdata: c\n\n"]) == [(None, "a"), (None, "b"), (None, "c")]


def test_it_handles_crlf_split_between_chunks():
    # Gemini ends events with \r\n\r\n; a boundary between \r and \n must not create an extra line.
    chunks = [b"data: a\r", b"\ndata: b\r", b"\n\r", b"\n"]
    assert decode_all(chunks) == [(None, "a\nb")]


def test_it_reassembles_utf8_characters_split_between_chunks():
    payload = "data: héllo 🌍\n\n".encode()
    chunks = [payload[i : i + 1] for i in range(len(payload))]
    assert decode_all(chunks) == [(None, "héllo 🌍")]


def test_it_does_not_dispatch_an_event_without_data():
    assert decode_all([b"event: ping\n\n"]) == []


def test_it_keeps_the_event_name_from_leaking_into_the_next_event():
    assert decode_all([b"event: a\ndata: 1\n\ndata: 2\n\n"]) == [("a", "1"), (None, "2")]


def test_it_delivers_a_last_event_without_its_blank_line_at_finish():
    decoder = SSEDecoder()
    assert decoder.feed(b"data: [DONE]") == []
    assert decoder.finish() == [(None, "[DONE]")]


def test_it_returns_events_as_soon_as_they_are_complete():
    decoder = SSEDecoder()
    assert decoder.feed(b"data: first\n") == []
    assert decoder.feed(b"\ndata: sec") == [(None, "first")]
    assert decoder.feed(b"ond\n\n") == [(None, "second")]


def test_a_field_without_colon_or_space_is_read_as_the_spec_says():
    assert decode_all([b"data\n\ndata:no-space\n\n"]) == [(None, ""), (None, "no-space")]


events_strategy = st.lists(
    st.tuples(
        st.one_of(st.none(), st.sampled_from(["message_start", "content_block_delta", "x"])),
        st.lists(st.text(alphabet=st.characters(blacklist_characters="\r\n", blacklist_categories=("Cs",))),
                 min_size=1, max_size=3),
    ),
    max_size=6,
)


@given(events=events_strategy, newline=st.sampled_from(["\n", "\r\n", "\r"]), data=st.data())
def test_any_split_of_any_stream_gives_the_same_events(events, newline, data):
    text = ""
    for name, lines in events:
        if name:
            text += f"event: {name}{newline}"
        for line in lines:
            text += f"data: {line}{newline}"
        text += newline
    raw = text.encode()
    cuts = sorted(data.draw(st.lists(st.integers(0, len(raw)), max_size=8)))
    chunks = [raw[a:b] for a, b in zip([0, *cuts], [*cuts, len(raw)], strict=True)]
    expected = [(name, "\n".join(lines)) for name, lines in events]
    assert decode_all(chunks) == expected
