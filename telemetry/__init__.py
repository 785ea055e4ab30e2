"""Process telemetry shared by the API and the worker (OpenTelemetry traces)."""
