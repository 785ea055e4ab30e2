"""Pure, deterministic code: contracts, the rules reasoner, guardrails, outcome judging."""
