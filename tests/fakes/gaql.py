"""Just enough of the Google Ads Query Language for the fake: SELECT fields FROM resource
[WHERE cond AND cond ...] [ORDER BY field [ASC|DESC]] [LIMIT n].

Conditions: ``=``, ``!=``, ``>``, ``>=``, ``<``, ``<=``, ``IN (...)``, ``BETWEEN a AND b``.
An unknown resource or a malformed query is a ``GaqlError`` (the fake answers it as the API
does: INVALID_ARGUMENT with a query_error).
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any


class GaqlError(ValueError):
    pass


@dataclass(frozen=True)
class Condition:
    field: str
    op: str
    value: Any

    def matches(self, row: dict[str, Any]) -> bool:
        if self.field not in row:
            return False
        actual = row[self.field]
        if self.op == "BETWEEN":
            low, high = self.value
            return _cmp(low) <= _cmp(actual) <= _cmp(high)
        if self.op == "IN":
            return _cmp(actual) in {_cmp(v) for v in self.value}
        a, b = _cmp(actual), _cmp(self.value)
        return {
            "=": a == b,
            "!=": a != b,
            ">": a > b,
            ">=": a >= b,
            "<": a < b,
            "<=": a <= b,
        }[self.op]


@dataclass
class Query:
    fields: list[str]
    resource: str
    conditions: list[Condition] = field(default_factory=list)
    order_by: str | None = None
    descending: bool = False
    limit: int | None = None

    def mentions(self, prefix: str) -> bool:
        names = [*self.fields, *(c.field for c in self.conditions)]
        return any(name.startswith(prefix) for name in names)


_QUERY = re.compile(
    r"^\s*SELECT\s+(?P<fields>.+?)\s+FROM\s+(?P<resource>\w+)"
    r"(?:\s+WHERE\s+(?P<where>.+?))?"
    r"(?:\s+ORDER\s+BY\s+(?P<order>[\w.]+)(?:\s+(?P<dir>ASC|DESC))?)?"
    r"(?:\s+LIMIT\s+(?P<limit>\d+))?\s*$",
    re.IGNORECASE | re.DOTALL,
)
_CONDITION = re.compile(
    r"\s*(?P<field>[\w.]+)\s*(?:"
    r"(?P<between>BETWEEN)\s+(?P<low>'[^']*'|[\d.-]+)\s+AND\s+(?P<high>'[^']*'|[\d.-]+)"
    r"|(?P<in>IN)\s*\((?P<items>[^)]*)\)"
    r"|(?P<op>!=|>=|<=|=|>|<)\s*(?P<value>'[^']*'|[\w.-]+)"
    r")\s*(?:AND\b|$)",
    re.IGNORECASE,
)


def parse(text: str) -> Query:
    match = _QUERY.match(text)
    if not match:
        raise GaqlError(f"Error in query: unexpected input {text[:80]!r}")
    fields = [f.strip() for f in match["fields"].split(",")]
    query = Query(fields=fields, resource=match["resource"])
    if match["where"]:
        query.conditions = _conditions(match["where"])
    if match["order"]:
        query.order_by = match["order"]
        query.descending = (match["dir"] or "").upper() == "DESC"
    if match["limit"]:
        query.limit = int(match["limit"])
    return query


def _conditions(where: str) -> list[Condition]:
    conditions, position = [], 0
    while position < len(where):
        match = _CONDITION.match(where, position)
        if not match or match.end() == position:
            raise GaqlError(f"Error in WHERE clause near {where[position : position + 40]!r}")
        if match["between"]:
            value: Any = (_literal(match["low"]), _literal(match["high"]))
            op = "BETWEEN"
        elif match["in"]:
            value = [_literal(v.strip()) for v in match["items"].split(",") if v.strip()]
            op = "IN"
        else:
            value, op = _literal(match["value"]), match["op"]
        conditions.append(Condition(match["field"], op, value))
        position = match.end()
    return conditions


def _literal(token: str) -> Any:
    if token.startswith("'"):
        return token[1:-1]
    try:
        return int(token)
    except ValueError:
        try:
            return float(token)
        except ValueError:
            return token  # an enum name such as ENABLED


def _cmp(value: Any) -> Any:
    """Compare ids given as numbers with ids stored as numbers or strings alike."""
    if isinstance(value, bool):
        return value
    if isinstance(value, int | float):
        return float(value)
    if isinstance(value, str):
        try:
            return float(value)
        except ValueError:
            return value
    return value
