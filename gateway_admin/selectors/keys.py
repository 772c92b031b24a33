"""Reads of Vertex keys."""

from __future__ import annotations

from collections.abc import Iterable, Mapping

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


def key_custom_ids(key: VertexKey | None) -> set[str] | None:
    """Ids and endpoint ids of the custom models last listed for the key; None when never listed."""
    listing = getattr(key, "listing", None) if key is not None and key.pk else None
    if listing is None or listing.fetched_at is None:
        return None
    ids: set[str] = set()
    for entry in listing.entries:
        if entry.get("source") == "custom":
            ids.update(x for x in (entry.get("id"), entry.get("endpoint_id")) if x)
    return ids


def allowed_model_warnings(*, deployments: Mapping[str, str], allowed_models: Iterable[str],
                           custom_ids: set[str] | None, catalog: Catalog | None = None) -> list[str]:
    """allowedModels entries nothing can serve: no deployment alias, no listed custom model and no
    model the catalog knows. Such an entry still shows in the model lists, but every call to it fails.

    An endpoint id (digits) is checked only against a listing that was fetched (`custom_ids` not None).
    """
    catalog = catalog if catalog is not None else routing_config.catalog()
    warnings = []
    for model_id in allowed_models:
        if model_id in deployments or catalog.model(model_id) is not None:
            continue
        if custom_ids is not None and model_id in custom_ids:
            continue
        if model_id.isdigit() and custom_ids is None:
            continue  # a tuned endpoint, not listed yet: the refresh after saving tells
        warnings.append(
            f"allowedModels: {model_id} is no deployment of this key, no custom model listed for it and no "
            "model the catalog knows, so calls to it will fail. Add a deployment with this alias "
            "(alias -> Vertex model id or endpoint id), or remove it from allowedModels.")
    return warnings


def key_stored_warnings(key: VertexKey, *, catalog: Catalog | None = None) -> list[str]:
    """Warnings about the stored configuration (the catalog and listing may have changed since it was
    saved): deployments not served in their region, allowedModels entries nothing serves."""
    catalog = catalog if catalog is not None else routing_config.catalog()
    deployments = list(key.deployments.all())
    targets = {d.alias: d.target for d in deployments}
    return [
        *availability_warnings(
            region=key.region,
            deployments=targets,
            deployment_regions={d.alias: d.region_override for d in deployments if d.region_override},
            catalog=catalog,
        ),
        *allowed_model_warnings(deployments=targets, allowed_models=[a.model_id for a in key.allowed_models.all()],
                                custom_ids=key_custom_ids(key), catalog=catalog),
    ]
