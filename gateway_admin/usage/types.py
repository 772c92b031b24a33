"""The types the call pipeline passes to the usage hooks. Plain dataclasses: importing this module
imports neither Django's ORM nor any counter backend."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal

from routing.usage import Usage

__all__ = ["BudgetExceeded", "Cost", "Usage"]


@dataclass(frozen=True)
class Cost:
    """The price of one call. `usd` None means the model has no price (shown as "no price", never
    as $0). `price_version` names the table version ("table:2025-10-15"), the admin override used
    ("override:12") or "none"."""

    usd: Decimal | None
    price_version: str


class BudgetExceeded(Exception):
    """A hard budget limit refuses the call before anything is sent upstream."""

    def __init__(self, budget_id: int, scope: str, name: str, used_usd: Decimal, amount_usd: Decimal,
                 period: str, resets_at: datetime | None) -> None:
        self.budget_id = budget_id
        self.scope = scope
        self.name = name
        self.used_usd = used_usd
        self.amount_usd = amount_usd
        self.period = period
        self.resets_at = resets_at
        super().__init__(self.message)

    @property
    def message(self) -> str:
        period = {"total": "in total", "day": "today"}.get(self.period, f"this {self.period}")
        when = (f"It resets at {self.resets_at:%Y-%m-%d %H:%M} UTC." if self.resets_at is not None
                else "It does not reset (a total budget); an admin can raise it.")
        return (f"The {self.scope} budget of {self.name} is used up: ${_usd(self.used_usd)} spent of "
                f"${_usd(self.amount_usd)} {period}. {when}")


def _usd(value: Decimal) -> str:
    return f"{value.quantize(Decimal('0.01')) if value >= 1 else value.quantize(Decimal('0.0001')).normalize():f}"
