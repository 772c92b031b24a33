"""The Vertex AI pass-through surface under /vertex/v1/ and /vertex/v1beta1/ (views.py)."""
