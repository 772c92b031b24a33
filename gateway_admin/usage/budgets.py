"""Budgets on the hot path: which budgets a call counts against, and the check before it leaves.

Check-then-add: `abudget_check` refuses a call when a budget's counter has reached its amount;
`aspend_record` adds the call's real cost after Vertex answered. No estimate is reserved up front
(the cost of a call is known only from its answer), so spend can pass a limit by at most the cost
of the calls that were already admitted and in flight when the counter crossed it; every call that
starts after that is refused. Counters are shared across processes (see counters.py).

Which budgets apply is read from a per-process snapshot of the (small) budget and team tables,
reloaded every BUDGET_CACHE_SECONDS and at once in the process that changes a budget or team.
A warm check with no budget costs two dictionary lookups; with budgets, one counter read.
"""

from __future__ import annotations

import threading
import time
from dataclasses import dataclass, field
from datetime import UTC, datetime
from decimal import Decimal

from django.conf import settings

from .counters import CounterKey, counters
from .periods import current_period
from .types import BudgetExceeded

NANOS = Decimal(1_000_000_000)


def to_nanos(usd: Decimal) -> int:
    return int((usd * NANOS).to_integral_value())


def from_nanos(nanos: int) -> Decimal:
    return (Decimal(nanos) / NANOS).quantize(Decimal("0.000000001"))


@dataclass(frozen=True)
class BudgetRule:
    id: int
    scope: str  # token | user | team
    scope_id: int
    name: str
    amount_usd: Decimal
    amount_nanos: int
    period: str
    soft_limit_percent: int | None

    def counter_key(self, now: datetime) -> CounterKey:
        return (self.id, current_period(self.period, now.timestamp())[0])

    def ttl(self, now: datetime) -> int | None:
        _, resets = current_period(self.period, now.timestamp())
        return None if resets is None else int((resets - now).total_seconds()) + 86_400


@dataclass
class Snapshot:
    loaded_at: float
    by_token: dict[int, tuple[BudgetRule, ...]]
    by_user: dict[int, tuple[BudgetRule, ...]]
    by_team: dict[int, tuple[BudgetRule, ...]]
    teams_of_user: dict[int, tuple[int, ...]]
    owner_of_token: dict[int, int]
    memo: dict[tuple[int | None, int | None], tuple[BudgetRule, ...]] = field(default_factory=dict)

    def rules_for(self, token_id: int | None, user_id: int | None) -> tuple[BudgetRule, ...]:
        key = (token_id, user_id)
        hit = self.memo.get(key)
        if hit is not None:
            return hit
        if user_id is None and token_id is not None:
            user_id = self.owner_of_token.get(token_id)
        rules: list[BudgetRule] = []
        if token_id is not None:
            rules.extend(self.by_token.get(token_id, ()))
        if user_id is not None:
            rules.extend(self.by_user.get(user_id, ()))
            for team_id in self.teams_of_user.get(user_id, ()):
                rules.extend(self.by_team.get(team_id, ()))
        out = tuple(rules)
        self.memo[key] = out
        return out


def load_snapshot() -> Snapshot:
    """Every budget and team membership (3 queries)."""
    from gateway_admin.models import ApiToken, Budget, Team

    by: dict[str, dict[int, list[BudgetRule]]] = {"token": {}, "user": {}, "team": {}}
    for b in Budget.objects.select_related("token", "user", "team"):
        scope = b.scope
        if scope == "token":
            scope_id, name = b.token_id, f"token {b.token.name} ({b.token.prefix}…)"
        elif scope == "user":
            scope_id, name = b.user_id, f"user {b.user.get_username()}"
        else:
            scope_id, name = b.team_id, f"team {b.team.name}"
        assert scope_id is not None
        rule = BudgetRule(id=b.pk, scope=scope, scope_id=scope_id, name=name, amount_usd=b.amount_usd,
                          amount_nanos=to_nanos(b.amount_usd), period=b.period,
                          soft_limit_percent=b.soft_limit_percent)
        by[scope].setdefault(scope_id, []).append(rule)
    teams: dict[int, list[int]] = {}
    for user_id, team_id in Team.members.through.objects.values_list("user_id", "team_id"):
        teams.setdefault(user_id, []).append(team_id)
    owners = dict(ApiToken.objects.values_list("id", "user_id")) if by["token"] or by["user"] or by["team"] else {}
    return Snapshot(
        loaded_at=time.monotonic(),
        by_token={k: tuple(v) for k, v in by["token"].items()},
        by_user={k: tuple(v) for k, v in by["user"].items()},
        by_team={k: tuple(v) for k, v in by["team"].items()},
        teams_of_user={k: tuple(v) for k, v in teams.items()},
        owner_of_token=owners,
    )


_snapshot: Snapshot | None = None
_lock = threading.Lock()


def _fresh(snap: Snapshot | None) -> bool:
    return snap is not None and time.monotonic() - snap.loaded_at < float(
        getattr(settings, "BUDGET_CACHE_SECONDS", 5.0))


def budgets_snapshot() -> Snapshot:
    global _snapshot
    snap = _snapshot
    if not _fresh(snap):
        snap = load_snapshot()
        with _lock:
            _snapshot = snap
    assert snap is not None
    return snap


async def abudgets_snapshot() -> Snapshot:
    global _snapshot
    snap = _snapshot
    if not _fresh(snap):
        from gateway_admin.aio import run_db

        snap = await run_db(load_snapshot)
        with _lock:
            _snapshot = snap
    assert snap is not None
    return snap


def budgets_invalidate() -> None:
    """Forget the snapshot (after a budget, team or membership changes in this process)."""
    global _snapshot
    with _lock:
        _snapshot = None


def _refuse(rules: tuple[BudgetRule, ...], spent: list[int], now: datetime) -> None:
    for rule, nanos in zip(rules, spent, strict=True):
        if nanos >= rule.amount_nanos:
            _, resets = current_period(rule.period, now.timestamp())
            raise BudgetExceeded(rule.id, rule.scope, rule.name, from_nanos(nanos), rule.amount_usd,
                                 rule.period, resets)


async def abudget_check(*, token_id: int | None, user_id: int | None) -> None:
    """Raise BudgetExceeded when any budget of the token, its user or the user's teams is used up."""
    snap = await abudgets_snapshot()
    rules = snap.rules_for(token_id, user_id)
    if not rules:
        return
    now = datetime.now(UTC)
    spent = await counters().aget_many([r.counter_key(now) for r in rules])
    _refuse(rules, spent, now)


def budget_check(*, token_id: int | None, user_id: int | None) -> None:
    """`abudget_check` for sync callers (the playground's worker thread, management commands)."""
    rules = budgets_snapshot().rules_for(token_id, user_id)
    if not rules:
        return
    now = datetime.now(UTC)
    _refuse(rules, counters().get_many([r.counter_key(now) for r in rules]), now)
