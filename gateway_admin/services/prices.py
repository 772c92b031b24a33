"""Price override writes (admins): correct or add a model's prices from an effective date, as
AvailabilityOverride corrects the region catalog. Audited; this process re-reads prices at once,
others within PRICE_CACHE_SECONDS."""

from __future__ import annotations

import re
from datetime import datetime
from decimal import Decimal, InvalidOperation
from typing import Any

from django.db import transaction
from django.utils import timezone

from gateway_admin.models import PriceOverride
from gateway_admin.services.audit import audit_record, diff
from gateway_admin.services.caches import evict_now_and_on_commit
from gateway_admin.services.errors import ServiceValidationError
from gateway_admin.usage.pricing import PRICE_FIELDS, prices_invalidate

MAX_PRICE = Decimal("1000000")
MODEL_ID = re.compile(r"[A-Za-z0-9][A-Za-z0-9._@/:-]*")


def _price(field: str, value: Any, errors: dict[str, list[str]]) -> Decimal | None:
    if value is None or value == "":
        return None
    try:
        if isinstance(value, bool | float):
            raise InvalidOperation
        d = Decimal(str(value).strip())
    except (InvalidOperation, ValueError):
        d = None
    limit = Decimal(100) if field == "regional_premium_percent" else MAX_PRICE
    if d is None or not d.is_finite() or d < 0 or d > limit or d != d.quantize(Decimal("0.000001")):
        errors[field] = [f"A price in USD as a decimal string from 0 to {limit} (at most 6 decimal places), "
                         "or null to keep the shipped value."]
        return None
    return d


def _clean(data: dict[str, Any], *, instance: PriceOverride | None) -> dict[str, Any]:
    errors: dict[str, list[str]] = {}
    out: dict[str, Any] = {}
    if instance is None or "model_id" in data:
        model_id = data.get("model_id")
        if not isinstance(model_id, str) or len(model_id) > 128 or not MODEL_ID.fullmatch(model_id):
            errors["model_id"] = ["A model id without spaces, e.g. gemini-2.5-pro or meta/llama-3.3-70b-instruct-maas."]
        out["model_id"] = model_id
    if instance is None or "effective_from" in data:
        when = data.get("effective_from") or (timezone.now() if instance is None else None)
        if not isinstance(when, datetime):
            errors["effective_from"] = ["A date and time (ISO 8601) from which the price applies."]
        out["effective_from"] = when
    for field in PRICE_FIELDS:
        if field in data:
            out[field] = _price(field, data[field], errors)
    if "note" in data:
        note = data["note"] or ""
        if not isinstance(note, str) or len(note) > 255:
            errors["note"] = ["At most 255 characters."]
        out["note"] = note
    if not errors:
        merged = {f: out.get(f, getattr(instance, f, None)) for f in PRICE_FIELDS}
        if all(v is None for v in merged.values()):
            errors["input"] = ["Give at least one price (input, output, cache_read, cache_write, per_image, "
                               "per_second or regional_premium_percent)."]
        model_id = out.get("model_id", getattr(instance, "model_id", None))
        when = out.get("effective_from", getattr(instance, "effective_from", None))
        assert isinstance(when, datetime)  # checked above for a new override; a stored one has it
        clash = PriceOverride.objects.filter(model_id=model_id, effective_from=when)
        if instance is not None:
            clash = clash.exclude(pk=instance.pk)
        if clash.exists():
            errors["effective_from"] = ["This model already has an override from exactly this time."]
    if errors:
        raise ServiceValidationError(errors)
    return out


def _state(o: PriceOverride) -> dict[str, Any]:
    return {"model_id": o.model_id, "effective_from": o.effective_from.isoformat(), "note": o.note,
            **{f: (str(getattr(o, f)) if getattr(o, f) is not None else None) for f in PRICE_FIELDS}}


@transaction.atomic
def price_override_create(*, actor: Any, **data: Any) -> PriceOverride:
    override = PriceOverride.objects.create(**_clean(data, instance=None))
    audit_record(actor=actor, action="create", obj=override, changes=diff({}, _state(override)))
    evict_now_and_on_commit(prices_invalidate)
    return override


@transaction.atomic
def price_override_update(*, actor: Any, override: PriceOverride, **data: Any) -> PriceOverride:
    before = _state(override)
    for field, value in _clean(data, instance=override).items():
        setattr(override, field, value)
    override.save()
    audit_record(actor=actor, action="update", obj=override, changes=diff(before, _state(override)))
    evict_now_and_on_commit(prices_invalidate)
    return override


@transaction.atomic
def price_override_delete(*, actor: Any, override: PriceOverride) -> None:
    audit_record(actor=actor, action="delete", obj=override, changes=diff(_state(override), {}))
    override.delete()
    evict_now_and_on_commit(prices_invalidate)
