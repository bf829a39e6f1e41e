"""Model instances from plain SQL rows, for the few per-request reads where compiling the ORM query costs more
CPU than PostgreSQL spends running it (API key authentication, the signup path). Everywhere else: the ORM."""
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
