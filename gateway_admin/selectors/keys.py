"""Reads of Vertex keys."""

from __future__ import annotations

from django.db.models import QuerySet

from gateway_admin import routing_config
from gateway_admin.models import VertexKey
from routing.catalog import Catalog
from routing.config import availability_warnings


def key_list() -> QuerySet[VertexKey]:
    """Every key with what the API and pages show prefetched."""
    return VertexKey.objects.prefetch_related("deployments", "allowed_models").order_by("name")


def key_get(*, pk: int) -> VertexKey:
    return key_list().get(pk=pk)


def key_stored_warnings(key: VertexKey, *, catalog: Catalog | None = None) -> list[str]:
    """Availability warnings of the stored configuration (the catalog may have changed since it was saved)."""
    deployments = list(key.deployments.all())
    return list(
        availability_warnings(
            region=key.region,
            deployments={d.alias: d.target for d in deployments},
            deployment_regions={d.alias: d.region_override for d in deployments if d.region_override},
            catalog=catalog if catalog is not None else routing_config.catalog(),
        )
    )
