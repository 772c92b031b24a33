"""Budgets, teams, prices and usage over /api/v1. Amounts are decimal strings."""

from __future__ import annotations

from typing import Any

from rest_framework import serializers

from gateway_admin.api.fields import StrictCharField
from gateway_admin.api.serializers.keys import _StrictSerializer
from gateway_admin.models import PriceOverride, Team
from gateway_admin.selectors.usage import GROUPS, BudgetStatus
from gateway_admin.usage.periods import PERIODS
from gateway_admin.usage.pricing import PRICE_FIELDS

_USD: dict[str, Any] = {"max_digits": 20, "decimal_places": 9, "coerce_to_string": True}


class BudgetSerializer(serializers.Serializer):
    """A budget with its spend in the current period (from the shared counters)."""

    id = serializers.IntegerField(source="budget.pk")
    scope = serializers.CharField(source="budget.scope", help_text="token | user | team")
    token = serializers.IntegerField(source="budget.token_id", allow_null=True)
    user = serializers.IntegerField(source="budget.user_id", allow_null=True)
    team = serializers.IntegerField(source="budget.team_id", allow_null=True)
    name = serializers.CharField(source="scope_name")
    amount_usd = serializers.DecimalField(source="budget.amount_usd", max_digits=14, decimal_places=4)
    period = serializers.CharField(source="budget.period")
    soft_limit_percent = serializers.IntegerField(source="budget.soft_limit_percent", allow_null=True)
    used_usd = serializers.DecimalField(**_USD)
    remaining_usd = serializers.DecimalField(**_USD)
    percent_used = serializers.FloatField(source="percent")
    state = serializers.ChoiceField(choices=["ok", "warning", "exceeded"],
                                    help_text="warning: at or over soft_limit_percent; exceeded: calls are refused.")
    period_start = serializers.DateTimeField()
    resets_at = serializers.DateTimeField(allow_null=True, help_text="null for a total budget.")
    created_at = serializers.DateTimeField(source="budget.created_at")
    updated_at = serializers.DateTimeField(source="budget.updated_at")

    def to_representation(self, instance: BudgetStatus) -> dict[str, Any]:
        return super().to_representation(instance)


class BudgetWriteSerializer(_StrictSerializer):
    token = serializers.IntegerField(required=False, allow_null=True, help_text="API token id")
    user = serializers.IntegerField(required=False, allow_null=True, help_text="User id")
    team = serializers.IntegerField(required=False, allow_null=True, help_text="Team id")
    amount_usd = StrictCharField(help_text='USD as a decimal string, e.g. "25.00".')
    period = serializers.ChoiceField(choices=list(PERIODS), required=False, default="month")
    soft_limit_percent = serializers.IntegerField(required=False, allow_null=True, min_value=1, max_value=100,
                                                  help_text="Warn at this share of the amount (e.g. 80).")


class BudgetPatchSerializer(BudgetWriteSerializer):
    amount_usd = StrictCharField(required=False, help_text='USD as a decimal string, e.g. "25.00".')
    period = serializers.ChoiceField(choices=list(PERIODS), required=False)


class TeamSerializer(serializers.ModelSerializer):
    members = serializers.SerializerMethodField()

    class Meta:
        model = Team
        fields = ["id", "name", "members", "created_at"]
        read_only_fields = fields

    def get_members(self, team: Team) -> list[dict[str, Any]]:
        return [{"id": u.pk, "username": u.get_username()} for u in team.members.all()]


class TeamWriteSerializer(_StrictSerializer):
    name = StrictCharField(max_length=100)
    members = serializers.ListField(child=serializers.IntegerField(min_value=1, max_value=2**63 - 1), required=False,
                                    default=list,
                                    help_text="User ids.")


class TeamPatchSerializer(TeamWriteSerializer):
    name = StrictCharField(max_length=100, required=False)
    members = serializers.ListField(child=serializers.IntegerField(min_value=1, max_value=2**63 - 1), required=False,
                                    help_text="User ids.")


class PriceRowSerializer(serializers.Serializer):
    """One model's price in effect: USD per million tokens, per image, per second of video."""

    model_id = serializers.CharField()
    version = serializers.CharField(help_text='"table:<date>" or "override:<id>"')
    input = serializers.DecimalField(max_digits=12, decimal_places=6, allow_null=True)
    output = serializers.DecimalField(max_digits=12, decimal_places=6, allow_null=True)
    cache_read = serializers.DecimalField(max_digits=12, decimal_places=6, allow_null=True)
    cache_write = serializers.DecimalField(max_digits=12, decimal_places=6, allow_null=True)
    per_image = serializers.DecimalField(max_digits=12, decimal_places=6, allow_null=True)
    per_second = serializers.DecimalField(max_digits=12, decimal_places=6, allow_null=True)
    regional_premium_percent = serializers.DecimalField(max_digits=5, decimal_places=2, allow_null=True)
    long_context = serializers.SerializerMethodField()
    source = serializers.CharField()  # type: ignore[assignment]
    as_of = serializers.CharField()
    note = serializers.CharField()

    def get_long_context(self, row: Any) -> dict[str, Any] | None:
        lc = row.long_context
        if lc is None:
            return None
        return {"above_input_tokens": lc.above_input_tokens,
                **{f: (str(getattr(lc, f)) if getattr(lc, f) is not None else None)
                   for f in ("input", "output", "cache_read", "cache_write")}}


class PriceOverrideSerializer(serializers.ModelSerializer):
    class Meta:
        model = PriceOverride
        fields = ["id", "model_id", "effective_from", *PRICE_FIELDS, "note", "created_at"]
        read_only_fields = fields


class PriceOverrideWriteSerializer(_StrictSerializer):
    model_id = StrictCharField(max_length=128, trim_whitespace=False)
    effective_from = serializers.DateTimeField(required=False, help_text="Default: now.")
    input = StrictCharField(required=False, allow_null=True, help_text="USD per million input tokens")
    output = StrictCharField(required=False, allow_null=True, help_text="USD per million output tokens")
    cache_read = StrictCharField(required=False, allow_null=True)
    cache_write = StrictCharField(required=False, allow_null=True)
    per_image = StrictCharField(required=False, allow_null=True)
    per_second = StrictCharField(required=False, allow_null=True)
    regional_premium_percent = StrictCharField(required=False, allow_null=True)
    note = StrictCharField(required=False, allow_blank=True, max_length=255)


class PriceOverridePatchSerializer(PriceOverrideWriteSerializer):
    model_id = StrictCharField(max_length=128, required=False, trim_whitespace=False)


class UsageQuerySerializer(_StrictSerializer):
    since = serializers.DateField(required=False, help_text="First UTC day (default: 30 days ago).")
    until = serializers.DateField(required=False, help_text="Last UTC day, inclusive (default: today).")
    token = serializers.IntegerField(required=False, min_value=1)
    user = serializers.IntegerField(required=False, min_value=1)
    team = serializers.IntegerField(required=False, min_value=1)
    key = serializers.IntegerField(required=False, min_value=1)
    model = serializers.CharField(required=False, max_length=128)
    # The pattern lets the schema say what the server accepts (distinctness is checked below).
    group_by = serializers.RegexField(
        rf"^({'|'.join(GROUPS)})(,({'|'.join(GROUPS)}))*$", required=False,
        help_text=f"Comma list of distinct values from {', '.join(GROUPS)}.")

    def validate_group_by(self, value: str) -> list[str]:
        groups = [g.strip() for g in value.split(",") if g.strip()]
        bad = [g for g in groups if g not in GROUPS]
        if bad or len(set(groups)) != len(groups):
            raise serializers.ValidationError(f"A comma list of distinct values from: {', '.join(GROUPS)}.")
        return groups

    def validate(self, attrs: dict[str, Any]) -> dict[str, Any]:
        attrs = super().validate(attrs)
        if attrs.get("since") and attrs.get("until") and attrs["since"] > attrs["until"]:
            raise serializers.ValidationError({"since": ["since must be on or before until."]})
        return attrs


class UsageRowSerializer(serializers.Serializer):
    group = serializers.DictField(help_text="The group's values (ids, model, day).")
    labels = serializers.DictField(child=serializers.CharField(), help_text="Readable names of the group's values.")
    calls = serializers.IntegerField()
    errors = serializers.IntegerField()  # type: ignore[assignment]
    input_tokens = serializers.IntegerField()
    output_tokens = serializers.IntegerField()
    cache_read_tokens = serializers.IntegerField()
    cache_write_tokens = serializers.IntegerField()
    unpriced_calls = serializers.IntegerField(help_text="Calls of models without a price (not in cost_usd).")
    cost_usd = serializers.DecimalField(**_USD, allow_null=True, help_text='null: "no price" (not $0).')

    def to_representation(self, instance: Any) -> dict[str, Any]:
        data = super().to_representation(instance)
        data["group"] = {k: (v.isoformat() if hasattr(v, "isoformat") else v) for k, v in instance.group.items()}
        return data


class UsageResponseSerializer(serializers.Serializer):
    since = serializers.DateField()
    until = serializers.DateField()
    group_by = serializers.ListField(child=serializers.CharField())
    totals = UsageRowSerializer()
    rows = UsageRowSerializer(many=True)
