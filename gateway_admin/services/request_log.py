"""Request log: one RequestLog row per gateway call, written without delaying the answer.

`request_log_write(entry)` takes one typed `RequestLogEntry` (the call pipeline builds it, see
gateway_admin/pipeline/) and only puts it on an in-process queue and returns; a background
thread writes queued rows in batches (one INSERT for many calls, so 400 calls/s cost a few writes
per second and never a request's time). Rows queued when the process exits are written by an
`atexit` flush; a process killed before that loses none of them either: each entry is also in a
crash journal that the next writer replays (services/request_log_journal.py). Prompt and answer text are kept only when the caller passes `log_bodies=True`
(the token's setting). Fields the database does not have yet are not written.
"""

from __future__ import annotations

import atexit
import logging
import queue
import threading
import time
from dataclasses import dataclass, field, fields
from datetime import datetime, timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any

from django.conf import settings
from django.db import (
    IntegrityError,
    InterfaceError,
    OperationalError,
    close_old_connections,
    connection,
    models,
    transaction,
)
from django.utils import timezone

from gateway_admin.models import RequestLog
from gateway_admin.services.request_log_journal import Journal, read_entries

logger = logging.getLogger(__name__)

BATCH_SIZE = 1000
# How long the writer gathers rows before writing them: fewer, larger transactions.
BATCH_WAIT_SECONDS = 0.25
PRUNE_CHUNK = 5_000
IDLE_CLOSE_SECONDS = 2.0
_CLOSE: Any = object()

_FOREIGN_KEYS = {"user_id", "token_id", "key_id"}
_MAX_LENGTHS = {
    f.attname: f.max_length
    for f in RequestLog._meta.concrete_fields
    if isinstance(f, models.CharField) and f.max_length and f.attname not in _FOREIGN_KEYS
}


@dataclass(slots=True)
class RequestLogEntry:
    """One gateway call as the request log records it (one row per call, whatever the surface)."""

    operation: str
    model: str
    status: int
    source: str = "api"  # api | playground (RequestLog.Source)
    surface: str = "openai"  # openai | anthropic | vertex | playground
    token_id: int | None = None
    user_id: int | None = None
    stream: bool = False
    error_type: str = ""
    error_message: str = ""
    latency_ms: float | None = None
    ttft_ms: float | None = None
    input_tokens: int | None = None
    output_tokens: int | None = None
    cache_read_tokens: int | None = None
    cache_write_tokens: int | None = None
    key_id: int | None = None
    key_name: str = ""
    region: str = ""
    host: str = ""
    target: str = ""
    attempts: int = 1
    failovers: int = 0
    route: list[dict[str, Any]] = field(default_factory=list)
    betas_dropped: list[str] = field(default_factory=list)
    cost_usd: Decimal | None = None
    price_version: str = ""
    log_bodies: bool = False
    request_body: Any = None
    response_body: Any = None
    created_at: datetime | None = None


_ENTRY_FIELDS = tuple(f.name for f in fields(RequestLogEntry))


def _clean(value: Any) -> Any:
    """Drop NUL characters: PostgreSQL refuses them in text and jsonb, and one bad row must not
    cost the whole batch (callers may log whatever a client sent, e.g. a model id)."""
    if isinstance(value, str):
        return value.replace("\x00", "") if "\x00" in value else value
    if isinstance(value, dict):
        return {_clean(k): _clean(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_clean(v) for v in value]
    return value


def _values(entry: RequestLogEntry) -> dict[str, Any]:
    """Column values (by attname) for one row; request and response bodies only with log_bodies."""
    values: dict[str, Any] = {}
    for name in _ENTRY_FIELDS:
        value = getattr(entry, name)
        if name in ("request_body", "response_body") and not entry.log_bodies:
            continue
        if name not in _COLUMN_NAMES:
            continue
        value = _clean(value)
        max_length = _MAX_LENGTHS.get(name)
        if max_length and isinstance(value, str) and len(value) > max_length:
            value = value[: max_length - 1] + "…"
        values[name] = value
    return values


# One INSERT statement prepared once and run with executemany: Django's bulk_create compiles SQL
# for every row and field, which measured at ~18% of a gateway worker's CPU at a few hundred calls/s.
_COLUMNS = [f for f in RequestLog._meta.concrete_fields if not f.primary_key]
_DEFAULTS = {f.attname: f.get_default() for f in _COLUMNS}
_COLUMN_NAMES = frozenset(f.attname for f in _COLUMNS)


def _insert_sql() -> str:
    quote = connection.ops.quote_name
    columns = ", ".join(quote(f.column) for f in _COLUMNS)
    marks = ", ".join(["%s"] * len(_COLUMNS))
    # Identifiers come from the model, quoted by the backend; values go in as parameters.
    return f"INSERT INTO {quote(RequestLog._meta.db_table)} ({columns}) VALUES ({marks})"  # noqa: S608


def _insert(rows: list[dict[str, Any]]) -> None:
    params = [
        [f.get_db_prep_save(row.get(f.attname, _DEFAULTS[f.attname]), connection) for f in _COLUMNS]
        for row in rows
    ]
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.executemany(_insert_sql(), params)


class _Writer:
    """One daemon thread per process that drains the queue into bulk INSERTs."""

    def __init__(self) -> None:
        self.queue: queue.SimpleQueue[Any] = queue.SimpleQueue()
        self.pending = 0
        self.lock = threading.Lock()
        self.idle = threading.Condition(self.lock)
        self.thread: threading.Thread | None = None
        self.journal = Journal(lambda: Path(settings.REQUEST_LOG_JOURNAL_DIR))
        self._journal_failed = False
        self._replayed = False

    def put(self, row: Any) -> None:
        with self.lock:
            self.pending += 1
            if row is not _CLOSE:
                self._journal(row)
            self.queue.put(row)
            if self.thread is None or not self.thread.is_alive():
                self.thread = threading.Thread(target=self._run, name="request-log-writer", daemon=True)
                self.thread.start()

    def _journal(self, entry: RequestLogEntry) -> None:
        try:
            self.journal.append(entry)
        except (OSError, TypeError):
            if not self._journal_failed:  # say it once; the row is still written from memory
                self._journal_failed = True
                logger.exception("could not append to the request-log journal")

    def _replay(self) -> None:
        """Write the journal segments of processes that died before writing them (once per writer)."""
        if self._replayed:
            return
        self._replayed = True
        try:
            for path in self.journal.orphans():
                entries = read_entries(path, RequestLogEntry)
                if entries:
                    logger.warning("writing %d request-log rows a stopped process left in %s", len(entries), path.name)
                    self.write(entries)
                self.journal.discard(path)
        except Exception:
            logger.exception("could not replay the request-log journal")

    def _done(self, count: int, *, closing: bool) -> bool:
        """Count rows as written; after a close request with nothing queued, end this thread (the
        next row starts a new writer, on a new connection). True when the thread must end."""
        with self.lock:
            self.pending -= count
            if self.pending == 0:
                self.idle.notify_all()
            if closing and self.queue.empty():
                self.thread = None
                return True
        return False

    def _run(self) -> None:
        self._replay()
        while True:
            try:
                first = self.queue.get(timeout=IDLE_CLOSE_SECONDS)
            except queue.Empty:
                # Idle: do not hold a database connection (a PostgreSQL backend) for nothing.
                connection.close()
                continue
            if first is _CLOSE:
                connection.close()
                if self._done(1, closing=True):
                    return
                continue
            # Gather for a moment without waking per row: a wake-up per call would make this thread
            # fight the event loop for the GIL on every request.
            time.sleep(BATCH_WAIT_SECONDS)
            batch = [first]
            close_after = False
            finished = None
            with self.lock:  # no put() in between: the batch is exactly what the journal holds
                while len(batch) < BATCH_SIZE:
                    try:
                        item = self.queue.get_nowait()
                    except queue.Empty:
                        finished = self.journal.rotate()
                        break
                    if item is _CLOSE:
                        close_after = True
                        finished = self.journal.rotate()
                        break
                    batch.append(item)
            self.write(batch)
            self.journal.discard(finished)
            if close_after:
                connection.close()
            if self._done(len(batch) + close_after, closing=close_after):
                return

    def write(self, items: list[RequestLogEntry]) -> None:
        batch = []
        for entry in items:
            try:
                batch.append(_values(entry))
            except Exception:
                logger.exception("dropped a malformed request log row")
        # The writer keeps its connection between batches (reconnecting costs more than the INSERT);
        # a broken or stale one is dropped and the batch tried once more on a fresh connection.
        for attempt in (1, 2):
            try:
                _insert(batch)
                return
            except IntegrityError:
                # A key or token was deleted while its call was in flight: keep the rows without the link.
                for row in batch:
                    self._write_one(row)
                return
            except (OperationalError, InterfaceError):
                close_old_connections()
                connection.close()
                if attempt == 2:
                    logger.exception("could not write %d request log rows", len(batch))
            except Exception:
                logger.exception("could not write %d request log rows", len(batch))
                return

    def _write_one(self, row: dict[str, Any]) -> None:
        try:
            _insert([row])
        except IntegrityError:
            row.update(key_id=None, token_id=None, user_id=None)
            try:
                _insert([row])
            except Exception:
                logger.exception("could not write a request log row")
        except Exception:
            logger.exception("could not write a request log row")

    def flush(self, timeout: float) -> bool:
        with self.lock:
            return self.idle.wait_for(lambda: self.pending == 0, timeout=timeout)


_writer = _Writer()


def request_log_write(entry: RequestLogEntry) -> None:
    """Queue one RequestLog row; returns at once."""
    if entry.created_at is None:
        entry.created_at = timezone.now()
    _writer.put(entry)


def request_log_flush(timeout: float = 10.0) -> bool:
    """Wait until every queued row is written (tests, shutdown). True when the queue drained."""
    return _writer.flush(timeout)


def request_log_close(timeout: float = 10.0) -> bool:
    """Write what is queued, then close the writer's database connection and end its thread
    (shutdown, tests); the next row starts a new writer."""
    _writer.put(_CLOSE)
    return _writer.flush(timeout)


atexit.register(request_log_close, 5.0)


def request_log_prune(*, days: int) -> int:
    """Delete rows older than `days` days, in chunks so a big backlog never holds a long lock."""
    cutoff = timezone.now() - timedelta(days=days)
    deleted = 0
    while True:
        ids = list(RequestLog.objects.filter(created_at__lt=cutoff).values_list("id", flat=True)[:PRUNE_CHUNK])
        if not ids:
            return deleted
        deleted += RequestLog.objects.filter(id__in=ids).delete()[0]
