"""Incremental Server-Sent Events decoder: bytes in as they arrive, (event, data) out.

Follows the WHATWG event-stream rules that matter for Vertex and partner streams: `data:` lines
of one event are joined with "\\n"; lines starting with ":" are comments; CRLF, LF and lone CR all
end a line, even when a chunk boundary falls between CR and LF; a UTF-8 character split across
chunks is reassembled; an event is dispatched at a blank line and only when it carried data.
"""

from __future__ import annotations

import codecs

SSEEvent = tuple[str | None, str]
"""(event name or None, data). The data of several `data:` lines is joined with a newline."""


class SSEDecoder:
    """Feed raw bytes with `feed()`; call `finish()` once at the end of the stream."""

    __slots__ = ("_data", "_decoder", "_event", "_has_data", "_pending")

    def __init__(self) -> None:
        self._decoder = codecs.getincrementaldecoder("utf-8")("replace")
        self._pending = ""  # an incomplete last line
        self._event: str | None = None
        self._data: list[str] = []
        self._has_data = False

    def feed(self, chunk: bytes) -> list[SSEEvent]:
        """Decode one chunk; returns the events it completed (often none or one)."""
        text = self._pending + self._decoder.decode(chunk)
        # A trailing CR may be the first half of CRLF: keep it until the next chunk says.
        hold_cr = text.endswith("\r")
        if hold_cr:
            text = text[:-1]
        if "\r" in text:
            text = text.replace("\r\n", "\n").replace("\r", "\n")
        lines = text.split("\n")
        self._pending = lines.pop() + ("\r" if hold_cr else "")
        events: list[SSEEvent] = []
        for line in lines:
            self._line(line, events)
        return events

    def finish(self) -> list[SSEEvent]:
        """Flush the end of the stream; a last event without its blank line is still delivered."""
        text = self._pending + self._decoder.decode(b"", final=True)
        self._pending = ""
        events: list[SSEEvent] = []
        for line in text.replace("\r\n", "\n").replace("\r", "\n").split("\n"):
            self._line(line, events)
        self._line("", events)
        return events

    def _line(self, line: str, events: list[SSEEvent]) -> None:
        if not line:
            if self._has_data:
                events.append((self._event, "\n".join(self._data)))
            self._event = None
            self._data = []
            self._has_data = False
            return
        if line[0] == ":":
            return
        name, sep, value = line.partition(":")
        if sep and value[:1] == " ":
            value = value[1:]
        if name == "data":
            self._data.append(value)
            self._has_data = True
        elif name == "event":
            self._event = value or None
        # "id" and "retry" do not matter for a one-shot model stream.
