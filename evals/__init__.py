"""Evals: golden set, harness, metrics, judge, comparison and the CI gate (see README.md)."""
