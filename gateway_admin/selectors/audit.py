"""Reads of the audit log: pages of changes, filtered by object type and actor."""

from __future__ import annotations

from gateway_admin.models import AuditLog

AUDIT_PAGE_SIZE = 50


def audit_log_rows(*, object_type: str = "", actor: str = "", before_id: int | None = None,
                   limit: int = AUDIT_PAGE_SIZE) -> tuple[list[AuditLog], int | None]:
    qs = AuditLog.objects.all()
    if object_type:
        qs = qs.filter(object_type=object_type)
    if actor:
        qs = qs.filter(actor_label__icontains=actor)
    if before_id:
        qs = qs.filter(id__lt=before_id)
    rows = list(qs.order_by("-id")[: limit + 1])
    more = len(rows) > limit
    rows = rows[:limit]
    return rows, (rows[-1].id if more and rows else None)


def audit_object_types() -> list[str]:
    return sorted(AuditLog.objects.order_by().values_list("object_type", flat=True).distinct())
