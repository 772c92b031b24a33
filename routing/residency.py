"""Data residency for region failover: which regions a key may fail over to.

A key's region is usually chosen for data residency (a single region, or the `us`/`eu`
multi-regions). When that region answers 429/5xx (or 404: not served there), the router tries other
regions that serve the model. `KeyConfig.region_failover` decides which:

- "any" (default): `global` first where it serves the model, then the same geography, then anywhere
  else. This is the design contract's availability-first behaviour (ARCHITECTURE.md, "Upstream
  faults": fail over to another region that serves the model, `global` first).
- "geography" (for data-residency needs): only regions of the same residency zone as the region
  being called. The zone is the country, except the European Union, which is one zone (the `eu`
  multi-region and every region in an EU member state), and the United States (`us` and every us-*
  region). So us-central1 -> us-east5, us, us-east1...; europe-west4 / eu -> europe-west1,
  europe-west9...; but never to `global`, never from the EU to London (europe-west2) or Zurich
  (europe-west6), and never from Tokyo to Mumbai although regions.json files both under
  "Asia Pacific". A region called `global` has no residency: any region that serves the model is fine.
- "off": never leaves the region configured (the deployment's override, else the key's).

`RetryPolicy.region_failover=False` still turns region failover off for every key.
"""

from __future__ import annotations

REGION_FAILOVER_MODES: tuple[str, ...] = ("geography", "any", "off")
# Availability first, as the design contract says; "geography" is the opt-in for data residency.
DEFAULT_REGION_FAILOVER = "any"

_EU = "European Union"
_ZONES: dict[str, tuple[str, ...]] = {
    "United States": ("us", "us-central1", "us-east1", "us-east4", "us-east5", "us-south1", "us-west1",
                      "us-west2", "us-west3", "us-west4"),
    "Canada": ("northamerica-northeast1", "northamerica-northeast2"),
    "Brazil": ("southamerica-east1",),
    "Chile": ("southamerica-west1",),
    _EU: ("eu", "europe-central2", "europe-north1", "europe-north2", "europe-southwest1", "europe-west1",
          "europe-west3", "europe-west4", "europe-west8", "europe-west9", "europe-west10", "europe-west12"),
    "United Kingdom": ("europe-west2",),
    "Switzerland": ("europe-west6",),
    "Taiwan": ("asia-east1",),
    "Hong Kong": ("asia-east2",),
    "Japan": ("asia-northeast1", "asia-northeast2"),
    "South Korea": ("asia-northeast3",),
    "India": ("asia-south1", "asia-south2"),
    "Singapore": ("asia-southeast1",),
    "Indonesia": ("asia-southeast2",),
    "Australia": ("australia-southeast1", "australia-southeast2"),
    "Qatar": ("me-central1",),
    "Saudi Arabia": ("me-central2",),
    "Israel": ("me-west1",),
    "South Africa": ("africa-south1",),
}
_ZONE_OF: dict[str, str] = {region: zone for zone, regions in _ZONES.items() for region in regions}


def residency_zone(region: str) -> str | None:
    """The residency zone of a region ("United States", "European Union", "Japan", ...); None for
    `global`. A region this table does not know is a zone of its own, so it never fails over
    somewhere unverified."""
    if region == "global":
        return None
    return _ZONE_OF.get(region, f"region {region}")


def allowed_failover(region: str, candidates: list[str], mode: str) -> list[str]:
    """`candidates` (other regions serving the model, in catalog failover order) that `mode` allows
    when the call was meant for `region`."""
    if mode == "off":
        return []
    if mode == "any" or region == "global":
        return list(candidates)
    zone = residency_zone(region)
    return [r for r in candidates if r != "global" and residency_zone(r) == zone]
