"""Spend: teams, budgets and their counters, admin price corrections, and the daily usage rollup."""

from __future__ import annotations

from django.conf import settings
from django.db import models


class Team(models.Model):
    """A named group of users; a budget on a team counts the spend of all its members."""

    name = models.CharField(max_length=100, unique=True)
    members = models.ManyToManyField(settings.AUTH_USER_MODEL, blank=True, related_name="gateway_teams")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name


class Budget(models.Model):
    """A spend limit on exactly one of an API token, a user or a team, per period (UTC)."""

    class Period(models.TextChoices):
        DAY = "day", "Day"
        WEEK = "week", "Week"
        MONTH = "month", "Month"
        TOTAL = "total", "Total"

    token = models.ForeignKey("gateway_admin.ApiToken", null=True, blank=True, on_delete=models.CASCADE,
                              related_name="budgets")
    user = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.CASCADE,
                             related_name="gateway_budgets")
    team = models.ForeignKey(Team, null=True, blank=True, on_delete=models.CASCADE, related_name="budgets")
    amount_usd = models.DecimalField(max_digits=14, decimal_places=4)
    period = models.CharField(max_length=8, choices=Period.choices, default=Period.MONTH)
    soft_limit_percent = models.PositiveSmallIntegerField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["id"]
        constraints = [
            models.CheckConstraint(
                name="budget_one_scope",
                condition=(models.Q(token__isnull=False, user__isnull=True, team__isnull=True)
                           | models.Q(token__isnull=True, user__isnull=False, team__isnull=True)
                           | models.Q(token__isnull=True, user__isnull=True, team__isnull=False)),
            ),
        ]

    def __str__(self) -> str:
        return f"{self.scope} budget ${self.amount_usd}/{self.period}"

    @property
    def scope(self) -> str:
        return "token" if self.token_id else "user" if self.user_id else "team"


class BudgetCounter(models.Model):
    """Spend of one budget in one period, in nano-dollars (exact integer sums on every database).
    The counter of the embedded mode; with REDIS_URL set, Redis holds the counters."""

    budget = models.ForeignKey(Budget, on_delete=models.CASCADE, related_name="counters")
    period_start = models.DateTimeField()
    spent_nanos = models.BigIntegerField(default=0)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["budget", "period_start"], name="budget_counter_unique")]

    def __str__(self) -> str:
        return f"budget {self.budget_id} from {self.period_start:%Y-%m-%d}: {self.spent_nanos} nano-USD"


class PriceOverride(models.Model):
    """An admin's correction or addition to the shipped price table (USD per million tokens, per
    image, per second of video), effective from a date. Empty fields keep the shipped value."""

    model_id = models.CharField(max_length=128, db_index=True)
    effective_from = models.DateTimeField()
    input = models.DecimalField(max_digits=12, decimal_places=6, null=True, blank=True)
    output = models.DecimalField(max_digits=12, decimal_places=6, null=True, blank=True)
    cache_read = models.DecimalField(max_digits=12, decimal_places=6, null=True, blank=True)
    cache_write = models.DecimalField(max_digits=12, decimal_places=6, null=True, blank=True)
    per_image = models.DecimalField(max_digits=12, decimal_places=6, null=True, blank=True)
    per_second = models.DecimalField(max_digits=12, decimal_places=6, null=True, blank=True)
    regional_premium_percent = models.DecimalField(max_digits=5, decimal_places=2, null=True, blank=True)
    note = models.CharField(max_length=255, blank=True, default="")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["model_id", "-effective_from"]
        constraints = [
            models.UniqueConstraint(fields=["model_id", "effective_from"], name="price_override_unique"),
        ]

    def __str__(self) -> str:
        return f"{self.model_id} from {self.effective_from:%Y-%m-%d}"


class UsageRollup(models.Model):
    """Calls, tokens and cost per UTC day x API token x user x key x model.

    Ids are plain integers (0 = none), not foreign keys: spend stays when a token or key is
    deleted, and a NULL-free unique key lets one INSERT ... ON CONFLICT add to a row atomically.
    Cost is in nano-dollars; `unpriced_calls` counts calls of models without a price."""

    day = models.DateField()
    token_id = models.BigIntegerField(default=0)
    user_id = models.BigIntegerField(default=0)
    key_id = models.BigIntegerField(default=0)
    model = models.CharField(max_length=128)
    calls = models.BigIntegerField(default=0)
    errors = models.BigIntegerField(default=0)
    input_tokens = models.BigIntegerField(default=0)
    output_tokens = models.BigIntegerField(default=0)
    cache_read_tokens = models.BigIntegerField(default=0)
    cache_write_tokens = models.BigIntegerField(default=0)
    cost_nanos = models.BigIntegerField(default=0)
    unpriced_calls = models.BigIntegerField(default=0)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["day", "token_id", "user_id", "key_id", "model"],
                                    name="usage_rollup_unique"),
        ]
        indexes = [
            models.Index(fields=["user_id", "day"], name="usage_rollup_user_day"),
            models.Index(fields=["token_id", "day"], name="usage_rollup_token_day"),
            models.Index(fields=["key_id", "day"], name="usage_rollup_key_day"),
            models.Index(fields=["model", "day"], name="usage_rollup_model_day"),
        ]

    def __str__(self) -> str:
        return f"{self.day} {self.model} token={self.token_id} user={self.user_id}"
