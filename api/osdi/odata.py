"""The subset of OData `$filter` that OSDI clients send, as a pure parser (no Django).

    filter  := clause ( "and" clause )*
    clause  := field op value
    op      := eq | ne | gt | ge | lt | le
    value   := 'string' ('' escapes a quote) | number

Real clients are sloppy with spacing: the `osdi` package joins clauses with a bare "and"
(`email_address eq 'a@b.org'andfamily_name eq 'Li'`), so "and" right after a quoted value needs no space.
Each resource declares its fields and the operators it supports; anything else is a FilterError naming the
problem, which the API answers with a 400.
"""
import re
from dataclasses import dataclass
from datetime import date, datetime, time, timezone

OPERATORS = ("eq", "ne", "gt", "ge", "lt", "le")
MAX_CLAUSES = 10
_FIELD = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")
_NUMBER = re.compile(r"-?\d+(\.\d+)?")


class FilterError(ValueError):
    pass


@dataclass(frozen=True)
class Field:
    kind: str = "string"              # string | datetime
    ops: tuple[str, ...] = ("eq",)


@dataclass(frozen=True)
class Clause:
    field: str
    op: str
    value: object


def parse_datetime_value(text: str) -> datetime:
    """'2024-01-01' (midnight UTC), '2024-01-01T10:00:00Z' or with an offset; naive times are UTC."""
    raw = text.strip()
    try:
        if len(raw) == 10:
            return datetime.combine(date.fromisoformat(raw), time.min, tzinfo=timezone.utc)
        value = datetime.fromisoformat(raw[:-1] + "+00:00" if raw.endswith(("Z", "z")) else raw)
    except ValueError:
        raise FilterError(f"{text!r} is not a date (use 'YYYY-MM-DD' or ISO 8601)") from None
    return value if value.tzinfo else value.replace(tzinfo=timezone.utc)


class _Scanner:
    def __init__(self, text: str):
        self.text, self.pos = text, 0

    def skip_space(self):
        while self.pos < len(self.text) and self.text[self.pos].isspace():
            self.pos += 1

    def at_end(self) -> bool:
        self.skip_space()
        return self.pos >= len(self.text)

    def word(self, what: str) -> str:
        self.skip_space()
        match = _FIELD.match(self.text, self.pos)
        if not match:
            raise FilterError(f"expected {what} at position {self.pos + 1}")
        self.pos = match.end()
        return match.group()

    def keyword(self, word: str) -> bool:
        """Consume `word` (case-insensitive) if it comes next; no space is needed after it."""
        self.skip_space()
        if self.text[self.pos:self.pos + len(word)].lower() == word:
            self.pos += len(word)
            return True
        return False

    def value(self):
        self.skip_space()
        if self.pos < len(self.text) and self.text[self.pos] == "'":
            out, i = [], self.pos + 1
            while i < len(self.text):
                if self.text[i] == "'":
                    if self.text[i + 1:i + 2] == "'":
                        out.append("'")
                        i += 2
                        continue
                    self.pos = i + 1
                    return "".join(out)
                out.append(self.text[i])
                i += 1
            raise FilterError("unterminated string: a quote is missing")
        match = _NUMBER.match(self.text, self.pos)
        if match:
            self.pos = match.end()
            return match.group()
        raise FilterError(f"expected a quoted value at position {self.pos + 1}")


def parse_filter(text: str | None, fields: dict[str, Field]) -> list[Clause]:
    """Parse `text` against the resource's `fields`; an empty filter is no clause."""
    if text is None or not text.strip():
        return []
    if len(text) > 2000:
        raise FilterError("filter is too long")
    scanner = _Scanner(text)
    clauses = []
    while True:
        name = scanner.word("a field name")
        if name not in fields:
            raise FilterError(f"unknown filter field {name!r}; supported: {', '.join(sorted(fields))}")
        op = scanner.word("an operator").lower()
        if op not in OPERATORS:
            raise FilterError(f"unknown operator {op!r}; use one of {', '.join(OPERATORS)}")
        spec = fields[name]
        if op not in spec.ops:
            raise FilterError(f"{name!r} supports {', '.join(spec.ops)}, not {op!r}")
        raw = scanner.value()
        value = parse_datetime_value(raw) if spec.kind == "datetime" else raw
        clauses.append(Clause(name, op, value))
        if len(clauses) > MAX_CLAUSES:
            raise FilterError(f"at most {MAX_CLAUSES} clauses")
        if scanner.at_end():
            return clauses
        if scanner.keyword("or"):
            raise FilterError("'or' is not supported; only 'and'")
        if not scanner.keyword("and"):
            raise FilterError(f"expected 'and' at position {scanner.pos + 1}")
