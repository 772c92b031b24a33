"""Budget writes (admins): create, update, delete; validated, audited, and seen by this process's
budget checks at once (other processes within BUDGET_CACHE_SECONDS)."""

from __future__ import annotations

from decimal import Decimal, InvalidOperation
from typing import Any

from django.contrib.auth import get_user_model
from django.db import transaction

from gateway_admin.models import ApiToken, Budget, Team
from gateway_admin.services.audit import audit_record, diff
from gateway_admin.services.caches import evict_now_and_on_commit
from gateway_admin.services.errors import ServiceValidationError
from gateway_admin.usage.budgets import budgets_invalidate
from gateway_admin.usage.periods import PERIODS

MAX_AMOUNT = Decimal("1000000000")
SCOPES = ("token", "user", "team")


def _amount(value: Any, errors: dict[str, list[str]]) -> Decimal | None:
    try:
        amount = value if isinstance(value, Decimal) else Decimal(str(value).strip())
    except (InvalidOperation, ValueError):
        amount = None
    if (amount is None or not amount.is_finite() or amount <= 0 or amount >= MAX_AMOUNT
            or amount != amount.quantize(Decimal("0.0001")) or isinstance(value, bool | float)):
        errors["amount_usd"] = ["A positive amount in US dollars as a decimal string, e.g. \"25.00\" "
                                "(at most 4 decimal places)."]
        return None
    return amount


def _scope(data: dict[str, Any], errors: dict[str, list[str]]) -> dict[str, Any]:
    given = [s for s in SCOPES if data.get(s) is not None]
    if len(given) != 1:
        errors["scope" if not given else given[1]] = [
            "Name exactly one of token, user or team (by id) for the budget to apply to."]
        return {}
    scope = given[0]
    value = data[scope]
    model: Any = {"token": ApiToken, "user": get_user_model(), "team": Team}[scope]
    obj = model.objects.filter(pk=value).first() if isinstance(value, int) and not isinstance(value, bool) else None
    if obj is None:
        errors[scope] = [f"No {scope} with id {value!r}."]
        return {}
    return {"token": None, "user": None, "team": None, scope: obj}


def _validate(data: dict[str, Any], *, partial_of: Budget | None = None) -> dict[str, Any]:
    errors: dict[str, list[str]] = {}
    clean: dict[str, Any] = {}
    if partial_of is None or any(s in data for s in SCOPES):
        clean.update(_scope(data, errors))
    if partial_of is None or "amount_usd" in data:
        clean["amount_usd"] = _amount(data.get("amount_usd"), errors)
    if partial_of is None or "period" in data:
        period = data.get("period", "month" if partial_of is None else None)
        if period not in PERIODS:
            errors["period"] = [f"One of {', '.join(PERIODS)}."]
        clean["period"] = period
    if "soft_limit_percent" in data:
        soft = data["soft_limit_percent"]
        if soft is not None and (isinstance(soft, bool) or not isinstance(soft, int) or not 1 <= soft <= 100):
            errors["soft_limit_percent"] = ["A whole percentage from 1 to 100, or null for no warning."]
        clean["soft_limit_percent"] = soft
    if errors:
        raise ServiceValidationError(errors)
    return clean


def _state(b: Budget) -> dict[str, Any]:
    return {"scope": b.scope, "token": b.token_id, "user": b.user_id, "team": b.team_id,
            "amount_usd": str(b.amount_usd), "period": b.period, "soft_limit_percent": b.soft_limit_percent}


@transaction.atomic
def budget_create(*, actor: Any, token: Any = None, user: Any = None, team: Any = None, amount_usd: Any,
                  period: str = "month", soft_limit_percent: Any = None) -> Budget:
    """A budget on exactly one of `token`, `user` or `team` (ids). Every value is validated (a form's
    unparsed text too): `soft_limit_percent` must be a whole percentage from 1 to 100, or None."""
    clean = _validate({"token": token, "user": user, "team": team, "amount_usd": amount_usd, "period": period,
                       "soft_limit_percent": soft_limit_percent})
    budget = Budget.objects.create(**clean)
    audit_record(actor=actor, action="create", obj=budget, changes=diff({}, _state(budget)))
    evict_now_and_on_commit(budgets_invalidate)
    return budget


@transaction.atomic
def budget_update(*, actor: Any, budget: Budget, **changes: Any) -> Budget:
    """Change any of token/user/team (one of them), amount_usd, period, soft_limit_percent."""
    before = _state(budget)
    for field, value in _validate(changes, partial_of=budget).items():
        setattr(budget, field, value)
    budget.save()
    audit_record(actor=actor, action="update", obj=budget, changes=diff(before, _state(budget)))
    evict_now_and_on_commit(budgets_invalidate)
    return budget


@transaction.atomic
def budget_delete(*, actor: Any, budget: Budget) -> None:
    audit_record(actor=actor, action="delete", obj=budget, changes=diff(_state(budget), {}))
    budget.delete()
    evict_now_and_on_commit(budgets_invalidate)
