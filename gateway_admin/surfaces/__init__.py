"""What every gateway surface shares: the endpoint frame (`frame.py`), SSE answers (`sse.py`) and
model names of the native dialects (`models.py`). Each surface package (openai_api, anthropic_api,
vertex_api) parses its dialect and frames errors in its own shape on top of these."""
