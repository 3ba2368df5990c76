"""The one error a tariff document or a quote request raises: `TariffError`.

It names the offending field as a path (`bands[1].start`, `caps[0].fen`, `exit`) so that an operator
editing a tariff, or an API client asking for a quote, can find and fix the value.
"""

from __future__ import annotations

__all__ = ["TariffError"]


class TariffError(ValueError):
    """A tariff document or a stay that cannot be priced. `.field` is the path, `.problem` the reason."""

    def __init__(self, field: str, problem: str) -> None:
        super().__init__(f"{field}: {problem}" if field else problem)
        self.field = field
        self.problem = problem
