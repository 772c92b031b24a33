"""Media the emulator answers with: small valid images made from a seed."""

from __future__ import annotations

import struct
import zlib


def png(seed: int, size: int = 32) -> bytes:
    """A small valid PNG: a two-colour gradient picked from the prompt's hash."""
    r, g, b = (seed >> 16) & 255, (seed >> 8) & 255, seed & 255
    rows = []
    for y in range(size):
        row = bytearray([0])
        for x in range(size):
            row += bytes(((r + x * 4) & 255, (g + y * 4) & 255, b))
        rows.append(bytes(row))

    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data) & 0xFFFFFFFF)

    header = struct.pack(">IIBBBBB", size, size, 8, 2, 0, 0, 0)
    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", zlib.compress(b"".join(rows))) + chunk(b"IEND", b"")
