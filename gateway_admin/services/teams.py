"""Team writes (admins): a named group of users whose spend a team budget counts together."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from django.contrib.auth import get_user_model
from django.db import transaction

from gateway_admin.models import Team
from gateway_admin.services.audit import audit_record, diff
from gateway_admin.services.caches import evict_now_and_on_commit
from gateway_admin.services.errors import ServiceValidationError
from gateway_admin.usage.budgets import budgets_invalidate


def _clean(*, name: str | None, members: Iterable[Any] | None, team: Team | None) -> dict[str, Any]:
    errors: dict[str, list[str]] = {}
    out: dict[str, Any] = {}
    if name is not None or team is None:
        name = (name or "").strip()
        if not name:
            errors["name"] = ["Give the team a name."]
        elif len(name) > 100:
            errors["name"] = ["At most 100 characters."]
        elif Team.objects.filter(name__iexact=name).exclude(pk__in=[team.pk] if team else []).exists():
            errors["name"] = [f"A team named {name!r} already exists."]
        out["name"] = name
    if members is not None:
        ids = list(members)
        if any(isinstance(i, bool) or not isinstance(i, int) for i in ids):
            errors["members"] = ["A list of user ids."]
        else:
            users = list(get_user_model().objects.filter(pk__in=ids))
            missing = sorted(set(ids) - {u.pk for u in users})
            if missing:
                errors["members"] = [f"No user with id {', '.join(map(str, missing))}."]
            out["members"] = users
    if errors:
        raise ServiceValidationError(errors)
    return out


def _state(team: Team) -> dict[str, Any]:
    return {"name": team.name, "members": sorted(team.members.values_list("username", flat=True))}


@transaction.atomic
def team_create(*, actor: Any, name: str, members: Iterable[int] = ()) -> Team:
    clean = _clean(name=name, members=members, team=None)
    team = Team.objects.create(name=clean["name"])
    team.members.set(clean.get("members", []))
    audit_record(actor=actor, action="create", obj=team, changes=diff({}, _state(team)))
    evict_now_and_on_commit(budgets_invalidate)
    return team


@transaction.atomic
def team_update(*, actor: Any, team: Team, name: str | None = None, members: Iterable[int] | None = None) -> Team:
    before = _state(team)
    clean = _clean(name=name, members=members, team=team)
    if "name" in clean:
        team.name = clean["name"]
        team.save(update_fields=["name"])
    if "members" in clean:
        team.members.set(clean["members"])
    audit_record(actor=actor, action="update", obj=team, changes=diff(before, _state(team)))
    evict_now_and_on_commit(budgets_invalidate)
    return team


@transaction.atomic
def team_delete(*, actor: Any, team: Team) -> None:
    audit_record(actor=actor, action="delete", obj=team, changes=diff(_state(team), {}))
    team.delete()
    evict_now_and_on_commit(budgets_invalidate)
