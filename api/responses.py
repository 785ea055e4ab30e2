"""Answering with JSON the route already has.

FastAPI turns a returned model into a dict, validates that dict against ``response_model`` and
serializes it again; the recommendation reads instead answer with the JSON of views built from
validated store documents (api/views.py), which skips that round trip. The routes keep
``response_model`` for the OpenAPI document, and the API tests compare the bodies.
"""

from __future__ import annotations

from fastapi import Response


class JsonBytes(Response):
    media_type = "application/json"
