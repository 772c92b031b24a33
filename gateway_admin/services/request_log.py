"""Request log: one RequestLog row per playground or /v1 call, written without delaying the answer.

`request_log_write(**fields)` only puts the row on an in-process queue and returns; a background
thread writes queued rows in batches (one INSERT for many calls, so 400 calls/s cost a few writes
per second and never a request's time). Rows queued when the process exits are written by an
`atexit` flush. Prompt and answer text are kept only when the caller passes `log_bodies=True`
(the token's setting).
"""

from __future__ import annotations

import atexit
import logging
import queue
import threading
import time
from datetime import timedelta
from typing import Any

from django.db import IntegrityError, close_old_connections, models
from django.utils import timezone

from gateway_admin.models import RequestLog

logger = logging.getLogger(__name__)

BATCH_SIZE = 500
# How long the writer waits for more rows before writing a partial batch.
BATCH_WAIT_SECONDS = 0.05
PRUNE_CHUNK = 5_000

_FIELDS = {f.name: f for f in RequestLog._meta.concrete_fields if f.name not in ("id", "created_at")}
_FOREIGN_KEYS = {"user", "token", "key"}
_MAX_LENGTHS = {
    name: f.max_length
    for name, f in _FIELDS.items()
    if isinstance(f, models.CharField) and f.max_length and name not in _FOREIGN_KEYS
}


_ACCEPTED = set(_FIELDS) | {f"{name}_id" for name in _FOREIGN_KEYS} | {"log_bodies"}


def _row(fields: dict[str, Any]) -> RequestLog:
    created_at = fields.pop("_created_at")
    log_bodies = bool(fields.pop("log_bodies", False))
    if not log_bodies:
        fields.pop("request_body", None)
        fields.pop("response_body", None)
    values: dict[str, Any] = {}
    for name, value in fields.items():
        if name in _FOREIGN_KEYS:
            # Accept a row, a primary key, or routing's string key id.
            pk = getattr(value, "pk", value)
            values[f"{name}_id"] = int(pk) if isinstance(pk, str) and pk.isdigit() else pk
        elif name.endswith("_id") and name[:-3] in _FOREIGN_KEYS:
            values[name] = int(value) if isinstance(value, str) and value.isdigit() else value
        elif name in _FIELDS:
            max_length = _MAX_LENGTHS.get(name)
            if max_length and isinstance(value, str) and len(value) > max_length:
                value = value[: max_length - 1] + "…"
            values[name] = value
        else:
            raise TypeError(f"RequestLog has no field {name!r}")
    if "error_message" in values and values["error_message"] is None:
        values["error_message"] = ""
    row = RequestLog(**values)
    # auto_now_add is applied by save(), not bulk_create: stamp the time the call happened.
    row.created_at = created_at
    return row


class _Writer:
    """One daemon thread per process that drains the queue into bulk INSERTs."""

    def __init__(self) -> None:
        self.queue: queue.SimpleQueue[dict[str, Any]] = queue.SimpleQueue()
        self.pending = 0
        self.lock = threading.Lock()
        self.idle = threading.Condition(self.lock)
        self.thread: threading.Thread | None = None

    def put(self, row: dict[str, Any]) -> None:
        with self.lock:
            self.pending += 1
            if self.thread is None or not self.thread.is_alive():
                self.thread = threading.Thread(target=self._run, name="request-log-writer", daemon=True)
                self.thread.start()
        self.queue.put(row)

    def _run(self) -> None:
        while True:
            batch = [self.queue.get()]
            deadline = time.monotonic() + BATCH_WAIT_SECONDS
            while len(batch) < BATCH_SIZE:
                remaining = deadline - time.monotonic()
                if remaining <= 0:
                    break
                try:
                    batch.append(self.queue.get(timeout=remaining))
                except queue.Empty:
                    break
            self.write(batch)
            with self.lock:
                self.pending -= len(batch)
                if self.pending == 0:
                    self.idle.notify_all()

    def write(self, items: list[dict[str, Any]]) -> None:
        batch = []
        for fields in items:
            try:
                batch.append(_row(fields))
            except Exception:
                logger.exception("dropped a malformed request log row")
        close_old_connections()
        try:
            RequestLog.objects.bulk_create(batch)
        except IntegrityError:
            # A key or token was deleted while its call was in flight: keep the rows without the link.
            for row in batch:
                self._write_one(row)
        except Exception:
            logger.exception("could not write %d request log rows", len(batch))
        finally:
            close_old_connections()

    def _write_one(self, row: RequestLog) -> None:
        try:
            RequestLog.objects.bulk_create([row])
        except IntegrityError:
            row.key_id = row.token_id = row.user_id = None
            try:
                RequestLog.objects.bulk_create([row])
            except Exception:
                logger.exception("could not write a request log row")
        except Exception:
            logger.exception("could not write a request log row")

    def flush(self, timeout: float) -> bool:
        with self.lock:
            return self.idle.wait_for(lambda: self.pending == 0, timeout=timeout)


_writer = _Writer()


def request_log_write(**fields: Any) -> None:
    """Queue one RequestLog row (field names as on the model; `token`/`key`/`user` may be rows or
    ids; `log_bodies=True` keeps request_body/response_body). Returns at once."""
    unknown = fields.keys() - _ACCEPTED
    if unknown:
        raise TypeError(f"RequestLog has no field(s) {sorted(unknown)}")
    fields["_created_at"] = timezone.now()
    _writer.put(fields)


def request_log_flush(timeout: float = 10.0) -> bool:
    """Wait until every queued row is written (tests, shutdown). True when the queue drained."""
    return _writer.flush(timeout)


atexit.register(request_log_flush, 5.0)


def request_log_prune(*, days: int) -> int:
    """Delete rows older than `days` days, in chunks so a big backlog never holds a long lock."""
    cutoff = timezone.now() - timedelta(days=days)
    deleted = 0
    while True:
        ids = list(RequestLog.objects.filter(created_at__lt=cutoff).values_list("id", flat=True)[:PRUNE_CHUNK])
        if not ids:
            return deleted
        deleted += RequestLog.objects.filter(id__in=ids).delete()[0]
