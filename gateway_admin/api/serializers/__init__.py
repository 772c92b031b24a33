"""Serializers of the config API, one module per entity."""
