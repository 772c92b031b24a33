"""Vertex AI wire protocol: configuration, catalog, endpoints, auth, family adapters, router.

Pure Python (stdlib + httpx + google-auth). Never imports Django.
"""
