"""The request log's crash journal: queued entries survive a web process that is killed.

The request-log writer batches entries in memory for a quarter of a second before one INSERT
(services/request_log.py); a process killed in that window (SIGKILL, the OOM killer, a crash)
would lose the rows of calls it had already answered. So each entry is also appended, as one JSON
line, to a segment file of this process under `REQUEST_LOG_JOURNAL_DIR` (default
`VAR_DIR/request-log-journal`, 0700, files 0600) before the call returns: one `write(2)`, no
fsync, so it survives the process, not a power cut. The writer moves to a new segment as it takes
each batch and deletes the old one once the batch is in the database. A segment whose process is
gone is replayed (its rows inserted, then the file deleted) by the next writer that starts, in any
process on the machine; a segment is claimed by renaming it first, so two processes never replay
the same one. A process killed after the INSERT but before deleting the segment replays those rows
once more: the journal prefers a duplicate row to a lost one.
"""

from __future__ import annotations

import contextlib
import logging
import os
import secrets
from collections.abc import Callable, Iterator
from dataclasses import fields
from datetime import datetime
from decimal import Decimal
from pathlib import Path
from typing import Any

import orjson

logger = logging.getLogger(__name__)

SUFFIX = ".ndjson"
CLAIMED = ".replaying"


def _default(value: Any) -> Any:
    if isinstance(value, Decimal):
        return str(value)
    raise TypeError(f"{type(value).__name__} is not JSON serialisable")


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


class Journal:
    """This process's segments. Not thread-safe on its own: the writer calls it under its lock."""

    def __init__(self, directory: Callable[[], Path]) -> None:
        self._directory = directory
        self.fd: int | None = None
        self.path: Path | None = None
        self.pid = os.getpid()

    @property
    def directory(self) -> Path:
        return self._directory()

    def _open(self) -> int:
        if self.fd is None or self.pid != os.getpid():  # a forked child writes segments of its own
            self.pid = os.getpid()
            directory = self.directory
            directory.mkdir(mode=0o700, parents=True, exist_ok=True)
            self.path = directory / f"{self.pid}-{secrets.token_hex(4)}{SUFFIX}"
            self.fd = os.open(self.path, os.O_WRONLY | os.O_CREAT | os.O_APPEND | os.O_EXCL, 0o600)
        return self.fd

    def append(self, entry: Any) -> None:
        os.write(self._open(), orjson.dumps(entry, default=_default) + b"\n")

    def rotate(self) -> Path | None:
        """Start a new segment at the next append; returns the finished one (to delete once written)."""
        path, fd = self.path, self.fd
        self.path = self.fd = None
        if fd is not None:
            os.close(fd)
        return path

    @staticmethod
    def discard(path: Path | None) -> None:
        if path is not None:
            with contextlib.suppress(FileNotFoundError):
                path.unlink()

    def orphans(self) -> Iterator[Path]:
        """Claim the segments of processes that are gone (renamed, so no one else replays them)."""
        directory = self.directory
        if not directory.is_dir():
            return
        for path in sorted(directory.iterdir()):
            name = path.name
            pid_text = name.split("-", 1)[0]
            if not pid_text.isdigit():
                continue
            pid = int(pid_text)
            if name.endswith(CLAIMED):
                if _alive(pid):
                    continue  # being replayed by that process
            elif not name.endswith(SUFFIX) or pid == os.getpid() or _alive(pid):
                continue
            claimed = path.with_name(f"{os.getpid()}-{secrets.token_hex(4)}{CLAIMED}")
            try:
                path.rename(claimed)
            except FileNotFoundError:
                continue  # another process claimed it first
            yield claimed


def read_entries(path: Path, entry_type: type) -> list[Any]:
    """The entries of a segment; a line cut short by the crash is skipped."""
    names = {f.name for f in fields(entry_type)}
    entries = []
    for line in path.read_bytes().splitlines():
        try:
            data = orjson.loads(line)
        except orjson.JSONDecodeError:
            continue
        if not isinstance(data, dict):
            continue
        data = {k: v for k, v in data.items() if k in names}
        if isinstance(data.get("created_at"), str):
            data["created_at"] = datetime.fromisoformat(data["created_at"])
        if data.get("cost_usd") is not None:
            data["cost_usd"] = Decimal(str(data["cost_usd"]))
        try:
            entries.append(entry_type(**data))
        except TypeError:
            logger.warning("skipped a request-log journal line that does not fit the entry")
    return entries
