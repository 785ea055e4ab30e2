"""LLM reasoning over the official OpenAI and Anthropic SDKs (see ``reasoner.py``)."""
