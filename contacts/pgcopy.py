"""The batch writer's rows without the ORM's per-statement work: insert many model instances with one PostgreSQL
COPY (several times faster than bulk_create's INSERT for a page of 1,000 contacts; instances must carry every
value, defaults are applied when they are constructed; auto-increment keys are left to the database), update many
with one statement, build instances cheaply, and load them with plain SQL (`select_rows`)."""
import functools
import io
import json
from datetime import date, datetime
from operator import attrgetter
from uuid import UUID

from django.db import connection
from django.db.models.base import ModelState

from organizations import rawsql

_ESCAPES = str.maketrans({"\\": "\\\\", "\t": "\\t", "\n": "\\n", "\r": "\\r"})


def _array_item(value) -> str:
    return '"' + str(value).replace("\\", "\\\\").replace('"', '\\"') + '"'


def _plain(value) -> str:
    if value is None:
        return "\\N"
    if value is True or value is False:
        return "t" if value else "f"
    if isinstance(value, (datetime, date)):
        return value.isoformat()
    return str(value).translate(_ESCAPES)


def _text(value) -> str:
    """_plain for a text column: a str is the usual value (checked first)."""
    return value.translate(_ESCAPES) if type(value) is str else _plain(value)


def _key(value) -> str:
    """_plain for a UUID or integer column: a UUID (as 32 hex digits, which PostgreSQL reads as the hyphenated form,
    5x cheaper to write) or an int (checked first) needs no escaping."""
    if type(value) is UUID:
        return value.hex
    return str(value) if type(value) is int else _plain(value)


def _json(value) -> str:
    if type(value) is dict and not value:  # the usual default, its json.dumps
        return "{}"
    return "\\N" if value is None else json.dumps(value, default=str).translate(_ESCAPES)


def _array(value) -> str:
    return "\\N" if value is None else ("{" + ",".join(_array_item(v) for v in value) + "}").translate(_ESCAPES)


def _converter(field):
    kind = field.get_internal_type()
    if kind == "JSONField":
        return _json
    if kind == "ArrayField":
        return _array
    if kind in ("CharField", "TextField", "EmailField", "SlugField"):
        return _text
    target = field.target_field if field.is_relation else field
    if target.get_internal_type() in ("UUIDField", "AutoField", "BigAutoField", "IntegerField", "BigIntegerField",
                                      "PositiveIntegerField", "SmallIntegerField"):
        return _key
    return _plain


def _column(values: list, convert) -> list[str]:
    """The COPY text of one column's values. Text columns of str values are escaped in one pass (the values
    joined by NUL, which PostgreSQL text cannot hold, so splitting gives them back one by one); other columns
    convert each distinct object once (a batch shares its timestamp, organization and coalition ids, and bools):
    every value is alive while this runs, so equal ids are the same object."""
    if len(values) == 1:
        return [convert(values[0])]
    if convert is _text:
        try:
            parts = "\0".join(values).translate(_ESCAPES).split("\0")
            if len(parts) == len(values):
                return parts
        except TypeError:  # a None (or another non-str) among them
            pass
    elif convert is _array:  # a list per row, of shared objects (an organization's id): key by its items' ids
        keys = [None if value is None else tuple(map(id, value)) for value in values]
        texts = {key: convert(value) for key, value in dict(zip(keys, values)).items()}
        return list(map(texts.__getitem__, keys))
    ids = list(map(id, values))
    texts = {key: convert(value) for key, value in dict(zip(ids, values)).items()}
    return list(map(texts.__getitem__, ids))


_COPY_PLANS = {}


def _copy_plan(model) -> tuple[str, str, list]:
    """(COPY statement, INSERT ... VALUES head, [(attname, converter)]) of a model: every concrete column but an
    auto-increment key."""
    if model not in _COPY_PLANS:
        fields = [f for f in model._meta.concrete_fields
                  if not (f.primary_key and f.get_internal_type() in ("AutoField", "BigAutoField"))]
        quote = connection.ops.quote_name
        target = f"{quote(model._meta.db_table)} ({', '.join(quote(f.column) for f in fields)})"
        _COPY_PLANS[model] = (f"COPY {target} FROM STDIN", f"INSERT INTO {target} VALUES ",
                              [(f.attname, _converter(f)) for f in fields])
    return _COPY_PLANS[model]


def _copy_columns(model, objects: list) -> list[list[str]]:
    return [_column(list(map(attrgetter(name), objects)), convert) for name, convert in _copy_plan(model)[2]]


def copy_text(model, objects: list) -> str:
    """The COPY FROM STDIN text of these instances: built column by column, then one line per instance."""
    return "\n".join(map("\t".join, zip(*_copy_columns(model, objects)))) + "\n"


def copy_insert(model, objects) -> None:
    if not objects:
        return
    buffer = io.StringIO(copy_text(model, objects))
    with connection.cursor() as cursor, connection.wrap_database_errors:  # Django's IntegrityError / DataError
        cursor.copy_expert(_copy_plan(model)[0], buffer)


def _text_param(value) -> str:
    return value.hex if type(value) is UUID else value.isoformat()


#: sent as text: psycopg2 quotes a str in C, while its UUID adapter is Python (a key as 32 hex digits, which
#: PostgreSQL reads as the hyphenated form)
_AS_TEXT = {UUID: _text_param, datetime: _text_param, date: _text_param}


@functools.cache
def _values_plan(model):
    """(a getter of an instance's values in _copy_plan's column order, the positions of its JSON columns)."""
    plan = _copy_plan(model)[2]
    return attrgetter(*[name for name, _convert in plan]), [i for i, (_name, convert) in enumerate(plan)
                                                            if convert is _json]


def insert_values(model, objects: list) -> list:
    """The parameters of an INSERT ... VALUES of these instances, in _copy_plan's column order: the values as they
    are (psycopg2 adapts them; PostgreSQL reads the text with the column type's input function, as COPY does),
    keys and times as text, JSON as the text COPY would read."""
    getter, json_at = _values_plan(model)
    params = []
    for obj in objects:
        values = getter(obj)
        row = [_AS_TEXT[type(v)](v) if type(v) in _AS_TEXT else v for v in values]
        for i in json_at:
            row[i] = None if values[i] is None else json.dumps(values[i], default=str)
        params += row
    return params


def insert_sql(cursor, model, objects: list) -> str | None:
    """The EXECUTE of a prepared INSERT ... VALUES of these instances (planned once per connection for a table and
    a number of rows); None when a value holds a NUL, which only COPY reports as PostgreSQL does (a DataError)."""
    try:
        return _insert_statement(((model, len(objects), ""),)).mogrify(cursor, insert_values(model, objects))
    except ValueError:  # psycopg2: "A string literal cannot contain NUL (0x00) characters."
        return None


def insert_together_sql(*groups: tuple[list, str]) -> str:
    """The INSERT of the instances of several tables as one statement (each table but the last a data-modifying
    CTE), prepared once per connection for its tables and numbers of rows, as the SQL text of its EXECUTE: the
    caller sends it, alone or with others in one round trip; no ORM compile and no planning per table. `groups`:
    (instances of one model, "" or an ON CONFLICT clause). The instances count as saved from now on. Sent through
    Django's cursor, a violated constraint raises Django's IntegrityError as save() would. Foreign keys are
    deferred to the commit, so a row may point at another of the same statement."""
    groups = [(objects, conflict) for objects, conflict in groups if objects]
    params = [value for objects, _conflict in groups for value in insert_values(type(objects[0]), objects)]
    statement = _insert_statement(tuple((type(objects[0]), len(objects), conflict) for objects, conflict in groups))
    with connection.cursor() as cursor:
        sql = statement.mogrify(cursor.cursor, params)
    for objects, _conflict in groups:
        for obj in objects:
            obj._state.adding, obj._state.db = False, connection.alias
    return sql


@functools.lru_cache(maxsize=256)
def _insert_statement(groups: tuple) -> rawsql.Prepared:
    """`groups`: (model, number of rows, ON CONFLICT clause or "") of each table, in order."""
    statements = []
    for model, rows, conflict in groups:
        head, plan = _copy_plan(model)[1:]
        row = "(" + ", ".join(["%s"] * len(plan)) + ")"
        statements.append(head + ", ".join([row] * rows) + (f" {conflict}" if conflict else ""))
    *first, last = statements
    return rawsql.prepared(f"insert_{groups[0][0]._meta.db_table}" + ("_with" if first else ""),
                           ("WITH " + ", ".join(f"i{n} AS ({s})" for n, s in enumerate(first)) + " " if first
                            else "") + last)


def update_sql(cursor, model, objects, fields: list[str]) -> str:
    """UPDATE many rows in one statement (UPDATE ... FROM (VALUES ...)), unlike bulk_update's CASE per field."""
    columns, template, before, after = _update_plan(model, tuple(fields))
    values = ", ".join(cursor.mogrify(template, [c.get_db_prep_value(getattr(obj, c.attname), connection)
                                                 for c in columns]).decode() for obj in objects)
    return f"{before}{values}{after}"


@functools.cache
def _update_plan(model, fields: tuple) -> tuple[list, str, str, str]:
    """(the key and `fields`' columns, a VALUES row's template with their casts, the statement before and after
    the rows)."""
    pk = model._meta.pk
    columns = [pk] + [model._meta.get_field(name) for name in fields]
    quote = connection.ops.quote_name
    cast = [c.rel_db_type(connection) if c.primary_key else c.db_type(connection) for c in columns]
    template = "(" + ", ".join(f"%s::{t}" for t in cast) + ")"
    names = [quote(c.column) for c in columns]
    return (columns, template,
            f"UPDATE {quote(model._meta.db_table)} AS t SET " + ", ".join(f"{n} = v.{n}" for n in names[1:])
            + " FROM (VALUES ", f") AS v({', '.join(names)}) WHERE t.{names[0]} = v.{names[0]}")


class RowWriter:
    """A batch's inserts and updates, in order, in few round trips: a table of up to FEW_ROWS new rows and every
    update are held as statements and sent together (a single upsert writes eight tables in one round trip);
    a larger table is COPYed, after what is held. `send()` sends what is held."""

    FEW_ROWS = 20

    def __init__(self):
        self.held = []

    def insert(self, model, objects: list) -> None:
        if not objects:
            return
        if len(objects) <= self.FEW_ROWS:
            with connection.cursor() as cursor:
                sql = insert_sql(cursor.cursor, model, objects)
            if sql is not None:
                self.held.append(sql)
                return
        self.send()
        copy_insert(model, objects)

    def statement(self, sql: str) -> None:
        """Hold a statement of the caller's (complete SQL text), sent in its turn."""
        self.held.append(sql)

    def update(self, model, objects: list, fields: list[str]) -> None:
        if objects:
            with connection.cursor() as cursor:
                self.held.append(update_sql(cursor.cursor, model, objects, fields))

    def send(self) -> None:
        if self.held:
            sql, self.held = ";\n".join(self.held), []
            with connection.cursor() as cursor, connection.wrap_database_errors:
                cursor.execute(sql)


_PLANS = {}


def _plan(model):
    """(constant defaults {attname: value}, [(attname, default factory)], {name or attname: (attname, the
    related model's key attname or None)}); None when the model has fields __init__ treats specially
    (non-concrete ones): then `build` is plain construction."""
    if model not in _PLANS:
        meta = model._meta
        plan = None
        if len(meta.fields) == len(meta.concrete_fields):
            constants, factories, names = {}, [], {}
            for f in meta.concrete_fields:
                if f.has_default() and callable(f.default):
                    factories.append((f.attname, f.get_default))
                else:
                    constants[f.attname] = f.get_default()
                names[f.attname] = (f.attname, None)
                names[f.name] = (f.attname, f.target_field.attname if f.is_relation else None)
            plan = constants, factories, names
        _PLANS[model] = plan
    return _PLANS[model]


def build(model, **values):
    """`model(**values)` for the bulk writer and a form submission's rows, without Model.__init__'s generic keyword
    handling (a third of a bulk page's CPU): every field gets its value or its default; a related object given by
    name is cached as __init__ caches it. No signals are sent (the models built so have no pre_init/post_init
    receivers)."""
    plan = _plan(model)
    if plan is None:
        return model(**values)
    constants, factories, names = plan
    obj = model.__new__(model)
    state = obj._state = ModelState()
    data = obj.__dict__
    data.update(constants)
    for name, value in values.items():
        if name not in names:
            raise TypeError(f"{model.__name__} has no field {name}")
        attname, target = names[name]
        if target is None:
            data[attname] = value
        else:
            data[attname] = None if value is None else getattr(value, target)
            state.fields_cache[name] = value
    for attname, factory in factories:
        if attname not in data:
            data[attname] = factory()
    return obj


_SELECTS = {}


def _fetchall(sql: str, params) -> list:
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        return cursor.fetchall()


def select_rows(model, clauses: str, params, fetch=_fetchall) -> list:
    """Instances of `model` from `SELECT <every column> FROM <its table> <clauses>`, made as the ORM makes them (its
    field converters, Model.from_db) without compiling a queryset, which costs more than the query itself when a
    single upsert reads a handful of small tables. `fetch(sql, params)` runs the statement (and may keep its rows)."""
    if model not in _SELECTS:
        meta = model._meta
        quote = connection.ops.quote_name
        columns = [f.get_col(meta.db_table) for f in meta.concrete_fields]
        converters = [(i, convs, col) for i, col in enumerate(columns)
                      if (convs := connection.ops.get_db_converters(col) + col.get_db_converters(connection))]
        sql = f"SELECT {', '.join(quote(f.column) for f in meta.concrete_fields)} FROM {quote(meta.db_table)} "
        _SELECTS[model] = sql, converters
    sql, converters = _SELECTS[model]
    rows = fetch(sql + clauses, params)
    if converters:
        rows = [list(row) for row in rows]
        for row in rows:
            for i, convs, col in converters:
                for convert in convs:
                    row[i] = convert(row[i], col, connection)
    return [model.from_db(connection.alias, None, row) for row in rows]
