"""Plain SQL for the few per-request statements where compiling the ORM query cost more CPU than PostgreSQL spent
running it (API key authentication, the signup path, a form submission's contact write): model instances from
plain rows, and statements prepared once per connection. Everywhere else: the ORM."""
import hashlib
import re
import weakref
from functools import cache

from django.db import DEFAULT_DB_ALIAS, connection


def columns(model, alias: str) -> str:
    """The select list of every concrete column of `model`, in field order, from table alias `alias`."""
    return ", ".join(f'{alias}."{field.column}"' for field in model._meta.concrete_fields)


def width(model) -> int:
    return len(model._meta.concrete_fields)


@cache
def _layout(model):
    fields = model._meta.concrete_fields
    converters = [(i, f.from_db_value) for i, f in enumerate(fields) if hasattr(f, "from_db_value")]
    return [f.attname for f in fields], fields.index(model._meta.pk), converters


def instance(model, row, start: int = 0):
    """The `model` instance in row[start:] (laid out by `columns`), or None when its primary key is NULL (the
    missing side of a LEFT JOIN). Values go through the fields' from_db_value, as the ORM's would."""
    names, pk_index, converters = _layout(model)
    values = list(row[start:start + len(names)])
    if values[pk_index] is None:
        return None
    for index, convert in converters:
        if values[index] is not None:
            values[index] = convert(values[index], None, connection)
    return model.from_db(DEFAULT_DB_ALIAS, names, values)


def instances(row, *models) -> list:
    """The instances of `models` laid out one after another in `row` (each by `columns`), as `instance` reads them."""
    found, start = [], 0
    for model in models:
        found.append(instance(model, row, start))
        start += width(model)
    return found


class Prepared:
    """A statement PostgreSQL plans once per connection (PREPARE on first use, then EXECUTE): for the
    per-request statements whose planning costs PostgreSQL more CPU than running them, and whose best plan does not
    depend on how big the tables are (an INSERT, a key lookup in a small table): PostgreSQL keeps the generic plan
    it made until the next ANALYZE, so a scan chosen while a table was small stays while the table grows (the
    contact lookups, planned per call, adapt). `sql` takes %(name)s parameters (given as a dict) or %s ones (given
    in order), not both. A prepared statement outlives rollbacks and dies with its connection (so this needs
    session connections: no PgBouncer in transaction mode)."""

    _taken: set[str] = set()

    def __init__(self, name: str, sql: str):
        if name in self._taken:
            raise ValueError(f"a prepared statement is already named {name!r}")
        self._taken.add(name)
        self.name, self.names, positions = name, [], [0]

        def number(match):
            if match.group(1) is None:  # %s
                positions[0] += 1
                return f"${positions[0]}"
            if match.group(1) not in self.names:
                self.names.append(match.group(1))
            return f"${self.names.index(match.group(1)) + 1}"
        body = re.sub(r"%\((\w+)\)s|%s", number, sql)
        if self.names and positions[0]:
            raise ValueError("a prepared statement takes %(name)s or %s parameters, not both")
        self.prepare = f"PREPARE {name} AS " + body.replace("%%", "%")
        self.run = f"EXECUTE {name}({', '.join(['%s'] * (positions[0] or len(self.names)))})"

    def execute(self, cursor, params):
        """Run it on `cursor` (of django.db.connection) with `params`."""
        self._ensure_prepared(cursor)
        cursor.execute(self.run, self._values(params))

    def mogrify(self, cursor, params) -> str:
        """Its EXECUTE with `params` as SQL text, for a caller that sends it with other statements in one round
        trip (prepared on this connection first, when it is not yet)."""
        self._ensure_prepared(cursor)
        return cursor.mogrify(self.run, self._values(params)).decode()

    def _values(self, params) -> list:
        return [params[name] for name in self.names] if self.names else params

    def _ensure_prepared(self, cursor) -> None:
        done = _prepared.get(cursor.connection)  # psycopg2's connection, under Django's cursor or not
        if done is None:
            done = _prepared[cursor.connection] = set()
        if self.name not in done:
            cursor.execute(self.prepare)
            done.add(self.name)


@cache
def prepared(label: str, sql: str) -> Prepared:
    """The Prepared of a statement built at run time (an INSERT of so many rows of a table), named by `label`
    (what it does, for a reader of PostgreSQL's logs) and its text's hash."""
    return Prepared(f"{label[:40]}_{hashlib.blake2b(sql.encode(), digest_size=8).hexdigest()}", sql)


#: the names prepared on each open database connection (a new connection starts empty)
_prepared: "weakref.WeakKeyDictionary[object, set[str]]" = weakref.WeakKeyDictionary()
