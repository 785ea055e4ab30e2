"""Tests of the HTTP API against a real Store and the time-skipping Temporal server."""
