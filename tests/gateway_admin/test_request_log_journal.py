"""A web process killed with rows still queued in memory loses none of them: the journal it left
is written by the next writer that starts, and a writer that finished leaves no journal behind."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import textwrap
from decimal import Decimal
from pathlib import Path

import pytest
from django.utils import timezone

from gateway_admin.models import RequestLog
from gateway_admin.services import request_log
from gateway_admin.services.request_log import RequestLogEntry, request_log_flush, request_log_write

pytestmark = pytest.mark.django_db(transaction=True)

ROOT = Path(__file__).resolve().parents[2]
ANSWERED = 415  # the burst the audit killed a process in

# A web process that answered ANSWERED calls and is killed before its writer's first batch.
KILLED_PROCESS = textwrap.dedent(f"""
    import os, signal
    import django
    django.setup()
    from decimal import Decimal
    from gateway_admin.services.request_log import RequestLogEntry, request_log_write
    for i in range({ANSWERED}):
        request_log_write(RequestLogEntry(operation="chat", model=f"burst-{{i}}", status=200, input_tokens=i,
                                          output_tokens=2, cost_usd=Decimal("0.000125"), route=[{{"region": "eu"}}]))
    os.kill(os.getpid(), signal.SIGKILL)
""")


def _segments(directory: Path) -> list[Path]:
    return sorted(p for p in directory.iterdir() if p.is_file()) if directory.is_dir() else []


def test_rows_a_killed_process_had_queued_are_written_by_the_next_writer(settings, tmp_path):
    journal = tmp_path / "journal"
    settings.REQUEST_LOG_JOURNAL_DIR = journal
    env = {**os.environ, "DJANGO_SETTINGS_MODULE": "gateway_admin.settings", "REQUEST_LOG_JOURNAL_DIR": str(journal),
           "VAR_DIR": str(tmp_path / "var"), "PYTHONPATH": str(ROOT)}
    killed = subprocess.run([sys.executable, "-c", KILLED_PROCESS], env=env, cwd=ROOT, timeout=60, check=False)
    assert killed.returncode == -signal.SIGKILL
    assert RequestLog.objects.count() == 0  # nothing reached the database before the kill
    assert len(_segments(journal)) == 1

    writer = request_log._Writer()  # the next web process's writer: it replays what it finds first
    writer.put(RequestLogEntry(operation="chat", model="after-restart", status=200, created_at=timezone.now()))
    assert writer.flush(10)

    models = set(RequestLog.objects.values_list("model", flat=True))
    assert models == {f"burst-{i}" for i in range(ANSWERED)} | {"after-restart"}
    row = RequestLog.objects.get(model="burst-7")
    assert (row.input_tokens, row.output_tokens, row.status, row.route) == (7, 2, 200, [{"region": "eu"}])
    if hasattr(row, "cost_usd"):
        assert row.cost_usd == Decimal("0.000125")
    assert _segments(journal) == []


def test_a_writer_that_wrote_its_rows_leaves_no_journal(settings, tmp_path):
    settings.REQUEST_LOG_JOURNAL_DIR = tmp_path
    for i in range(30):
        request_log_write(RequestLogEntry(operation="chat", model=f"m{i}", status=200))
    assert _segments(tmp_path), "queued rows are journaled before they are written"
    assert request_log_flush(10)
    assert RequestLog.objects.filter(model__startswith="m").count() == 30
    assert _segments(tmp_path) == []


def test_a_live_process_journal_is_never_replayed_by_another(settings, tmp_path):
    settings.REQUEST_LOG_JOURNAL_DIR = tmp_path
    tmp_path.joinpath(f"{os.getppid()}-abcd1234.ndjson").write_bytes(
        b'{"operation": "chat", "model": "still-running", "status": 200}\n')
    writer = request_log._Writer()
    writer.put(RequestLogEntry(operation="chat", model="mine", status=200, created_at=timezone.now()))
    assert writer.flush(10)
    assert list(RequestLog.objects.values_list("model", flat=True)) == ["mine"]
    assert [p.name for p in _segments(tmp_path)] == [f"{os.getppid()}-abcd1234.ndjson"]
