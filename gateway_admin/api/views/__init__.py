"""Config API views, one module per entity. Plain CRUD is declarative; writes call services."""
