"""Wire fakes of the real ad platforms: they speak the platforms' protocols (gRPC for Google
Ads, HTTP/JSON for Meta's Graph API) so the official SDKs are driven exactly as in production.
Each also runs as its own process for the end-to-end tests (``python -m tests.fakes.<name>``).
"""
