"""Usage, cost and budgets: the hooks the call pipeline calls, and what the pages and API read.

    from gateway_admin.usage import Usage, Cost, BudgetExceeded      # plain types
    from gateway_admin.usage import call_cost                         # pricing.py
    from gateway_admin.usage import abudget_check, aspend_record      # budgets.py, spend.py
    from gateway_admin.usage import atpm_check                        # tpm.py
    from gateway_admin.metrics import metrics_observe

Importing this package loads only the types; each hook's module is imported on first use, so the
package can be imported before Django is set up.
"""

from __future__ import annotations

import importlib
from typing import Any

from .types import BudgetExceeded, Cost, Usage

_LAZY = {
    "call_cost": "pricing",
    "abudget_check": "budgets",
    "aspend_record": "spend",
    "atpm_check": "tpm",
}

__all__ = ["BudgetExceeded", "Cost", "Usage", *_LAZY]


def __getattr__(name: str) -> Any:
    module = _LAZY.get(name)
    if module is None:
        raise AttributeError(name)
    return getattr(importlib.import_module(f"{__name__}.{module}"), name)
