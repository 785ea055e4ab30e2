"""The FastAPI app: routers, auth, request/response schemas (``api.app.create_app``)."""
