"""Region -> host and every Vertex URL; the final URL is checked before a token is attached.

CONTRACT:
- `host_for_region(region) -> str`: "global" -> "aiplatform.googleapis.com"; "us"/"eu" ->
  "aiplatform.{us|eu}.rep.googleapis.com"; other known regions -> "{region}-aiplatform.googleapis.com".
- `base_url_for(region, override: str | None = None) -> str`: "https://{host}", or the operator
  override (emulator / private endpoint) which keeps the path layout.
- `location_path(project_id, region) -> str`: "/v1/projects/{p}/locations/{r}".
- `build_url(*, project_id, region, resource, override=None, query=None) -> str`: base + location
  path + "/" + resource; validates project, region and resource segments.
- `check_url(url, *, override=None) -> str`: https, no userinfo, no port, host in the allowed set
  (or exactly the override's scheme+host+port); raises routing.errors.ConfigurationError.
"""
