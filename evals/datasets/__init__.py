"""Eval datasets (JSON Lines) and the deterministic builder of the golden set."""
