"""Cost of a call from the price table (``settings.llm_price_table()``, USD per 1M tokens)."""

from __future__ import annotations

import logging
from collections.abc import Mapping

from settings import ModelPrice

log = logging.getLogger(__name__)


class PriceTable:
    def __init__(self, prices: Mapping[str, ModelPrice]) -> None:
        # Longest names first, so "gpt-4o-mini-2024-07-18" matches "gpt-4o-mini", not "gpt-4o".
        self._prices = sorted(prices.items(), key=lambda item: len(item[0]), reverse=True)
        self._unpriced_warned: set[str] = set()

    def price_of(self, model: str) -> ModelPrice | None:
        return next((price for name, price in self._prices if model.startswith(name)), None)

    def cost_usd(self, model: str, input_tokens: int, output_tokens: int) -> float:
        price = self.price_of(model)
        if price is None:
            if model not in self._unpriced_warned:
                self._unpriced_warned.add(model)
                log.warning("No price for model %s: its calls count as $0 (set LLM_PRICES)", model)
            return 0.0
        return round((input_tokens * price.input + output_tokens * price.output) / 1e6, 8)
