"""Budgets, teams, prices (admins) and usage (admins: everyone's; developers: their own) over /api/v1."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

from django.db.models import QuerySet
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema, extend_schema_view
from rest_framework import mixins, status, viewsets
from rest_framework.permissions import IsAuthenticated
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from gateway_admin.api.serializers.usage import (
    BudgetPatchSerializer,
    BudgetSerializer,
    BudgetWriteSerializer,
    PriceOverridePatchSerializer,
    PriceOverrideSerializer,
    PriceOverrideWriteSerializer,
    PriceRowSerializer,
    TeamPatchSerializer,
    TeamSerializer,
    TeamWriteSerializer,
    UsageQuerySerializer,
    UsageResponseSerializer,
)
from gateway_admin.models import Budget, PriceOverride, Team
from gateway_admin.permissions import IsAdminRole, IsDeveloperRole, is_admin
from gateway_admin.selectors.usage import UsageFilters, budget_statuses, usage_rows, usage_totals
from gateway_admin.services.budgets import budget_create, budget_delete, budget_update
from gateway_admin.services.prices import price_override_create, price_override_delete, price_override_update
from gateway_admin.services.teams import team_create, team_delete, team_update
from gateway_admin.usage.pricing import price_rows

DIGITS = r"[0-9]{1,18}"


def _status(budget: Budget) -> Any:
    return budget_statuses([Budget.objects.select_related("token", "user", "team").get(pk=budget.pk)])[0]


@extend_schema_view(
    list=extend_schema(summary="List budgets with their spend this period", tags=["budgets"]),
    retrieve=extend_schema(summary="Get a budget", tags=["budgets"]),
    create=extend_schema(summary="Create a budget on a token, user or team", tags=["budgets"],
                         request=BudgetWriteSerializer, responses={201: BudgetSerializer}),
    partial_update=extend_schema(summary="Change a budget", tags=["budgets"], request=BudgetPatchSerializer,
                                 responses={200: BudgetSerializer}),
    destroy=extend_schema(summary="Delete a budget", tags=["budgets"]),
)
class BudgetViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet):
    serializer_class = BudgetSerializer
    permission_classes = [IsAdminRole]
    lookup_value_regex = DIGITS
    filter_backends: list[Any] = []
    http_method_names = ["get", "post", "patch", "delete", "head", "options"]

    def get_queryset(self) -> QuerySet[Budget]:
        return Budget.objects.select_related("token", "user", "team").order_by("id")

    def list(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        page = self.paginate_queryset(self.get_queryset())
        return self.get_paginated_response(BudgetSerializer(budget_statuses(list(page or [])), many=True).data)

    def retrieve(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        return Response(BudgetSerializer(_status(self.get_object())).data)

    def create(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        body = BudgetWriteSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        budget = budget_create(actor=request.user, **body.validated_data)
        return Response(BudgetSerializer(_status(budget)).data, status=status.HTTP_201_CREATED)

    def partial_update(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        budget = self.get_object()
        body = BudgetPatchSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        data = {k: v for k, v in body.validated_data.items() if k in request.data}
        budget = budget_update(actor=request.user, budget=budget, **data)
        return Response(BudgetSerializer(_status(budget)).data)

    def destroy(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        budget_delete(actor=request.user, budget=self.get_object())
        return Response(status=status.HTTP_204_NO_CONTENT)


@extend_schema_view(
    list=extend_schema(summary="List teams", tags=["teams"]),
    retrieve=extend_schema(summary="Get a team", tags=["teams"]),
    create=extend_schema(summary="Create a team", tags=["teams"], request=TeamWriteSerializer,
                         responses={201: TeamSerializer}),
    partial_update=extend_schema(summary="Rename a team or set its members", tags=["teams"],
                                 request=TeamPatchSerializer, responses={200: TeamSerializer}),
    destroy=extend_schema(summary="Delete a team (and its budgets)", tags=["teams"]),
)
class TeamViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet):
    serializer_class = TeamSerializer
    permission_classes = [IsAdminRole]
    lookup_value_regex = DIGITS
    filter_backends: list[Any] = []
    http_method_names = ["get", "post", "patch", "delete", "head", "options"]

    def get_queryset(self) -> QuerySet[Team]:
        return Team.objects.prefetch_related("members").order_by("name")

    def create(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        body = TeamWriteSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        team = team_create(actor=request.user, **body.validated_data)
        return Response(TeamSerializer(team).data, status=status.HTTP_201_CREATED)

    def partial_update(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        team = self.get_object()
        body = TeamPatchSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        team = team_update(actor=request.user, team=team, **body.validated_data)
        return Response(TeamSerializer(Team.objects.prefetch_related("members").get(pk=team.pk)).data)

    def destroy(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        team_delete(actor=request.user, team=self.get_object())
        return Response(status=status.HTTP_204_NO_CONTENT)


@extend_schema_view(
    list=extend_schema(summary="List price overrides", tags=["prices"]),
    retrieve=extend_schema(summary="Get a price override", tags=["prices"]),
    create=extend_schema(summary="Correct or add a model's prices from an effective date", tags=["prices"],
                         request=PriceOverrideWriteSerializer, responses={201: PriceOverrideSerializer}),
    partial_update=extend_schema(summary="Change a price override", tags=["prices"],
                                 request=PriceOverridePatchSerializer, responses={200: PriceOverrideSerializer}),
    destroy=extend_schema(summary="Delete a price override (the shipped price applies again)", tags=["prices"]),
)
class PriceOverrideViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet):
    serializer_class = PriceOverrideSerializer
    permission_classes = [IsAdminRole]
    lookup_value_regex = DIGITS
    filter_backends: list[Any] = []
    http_method_names = ["get", "post", "patch", "delete", "head", "options"]
    queryset = PriceOverride.objects.order_by("model_id", "-effective_from")

    def create(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        body = PriceOverrideWriteSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        override = price_override_create(actor=request.user, **body.validated_data)
        return Response(PriceOverrideSerializer(override).data, status=status.HTTP_201_CREATED)

    def partial_update(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        override = self.get_object()
        body = PriceOverridePatchSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        override = price_override_update(actor=request.user, override=override, **body.validated_data)
        return Response(PriceOverrideSerializer(override).data)

    def destroy(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        price_override_delete(actor=request.user, override=self.get_object())
        return Response(status=status.HTTP_204_NO_CONTENT)


class PricesView(APIView):
    permission_classes = [IsAuthenticated, IsDeveloperRole]

    @extend_schema(summary="Every model's price in effect (shipped table merged with overrides)", tags=["prices"],
                   parameters=[OpenApiParameter("at", OpenApiTypes.DATETIME, description="ISO date-time (default: now)")],
                   responses={200: PriceRowSerializer(many=True)})
    def get(self, request: Request) -> Response:
        at = None
        raw = request.query_params.get("at")
        if raw:
            from django.utils.dateparse import parse_datetime

            at = parse_datetime(raw)
            if at is None:
                from gateway_admin.api.errors import error_response

                return error_response(400, "Invalid input: at.", "invalid", {"at": ["An ISO 8601 date-time."]})
            if at.tzinfo is None:
                at = at.replace(tzinfo=UTC)
        return Response(PriceRowSerializer(price_rows(at=at), many=True).data)


class UsageView(APIView):
    permission_classes = [IsAuthenticated, IsDeveloperRole]

    @extend_schema(summary="Calls, tokens and cost from the daily rollup, filtered and grouped", tags=["usage"],
                   parameters=[UsageQuerySerializer], responses={200: UsageResponseSerializer})
    def get(self, request: Request) -> Response:
        query = UsageQuerySerializer(data=request.query_params.dict())
        query.is_valid(raise_exception=True)
        q = query.validated_data
        today = datetime.now(UTC).date()
        until = q.get("until") or today
        since = q.get("since") or until - timedelta(days=29)
        user_id = q.get("user")
        if not is_admin(request.user):  # developers see their own usage only
            user_id = request.user.pk
        f = UsageFilters(since=since, until=until, token_id=q.get("token"), user_id=user_id, team_id=q.get("team"),
                         key_id=q.get("key"), model=q.get("model", ""))
        groups = q.get("group_by") or []
        body = {"since": since, "until": until, "group_by": groups, "totals": usage_totals(f),
                "rows": usage_rows(f, group_by=groups) if groups else []}
        return Response(UsageResponseSerializer(body).data)
