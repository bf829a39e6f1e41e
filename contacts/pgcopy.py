"""Insert many model instances with one PostgreSQL COPY (several times faster than bulk_create's INSERT for a
page of 1,000 contacts). Instances must carry every value (defaults are applied when they are constructed);
auto-increment keys are left to the database."""
import io
import json
from datetime import date, datetime

from django.db import connection

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


def _json(value) -> str:
    return "\\N" if value is None else json.dumps(value, default=str).translate(_ESCAPES)


def _array(value) -> str:
    return "\\N" if value is None else ("{" + ",".join(_array_item(v) for v in value) + "}").translate(_ESCAPES)


def _converter(field):
    kind = field.get_internal_type()
    if kind == "JSONField":
        return _json
    if kind == "ArrayField":
        return _array
    return _plain


def copy_insert(model, objects) -> None:
    if not objects:
        return
    fields = [f for f in model._meta.concrete_fields
              if not (f.primary_key and f.get_internal_type() in ("AutoField", "BigAutoField"))]
    plan = [(f.attname, _converter(f)) for f in fields]
    lines = ["\t".join([convert(getattr(obj, name)) for name, convert in plan]) for obj in objects]
    buffer = io.StringIO("\n".join(lines) + "\n")
    columns = ", ".join(connection.ops.quote_name(f.column) for f in fields)
    with connection.cursor() as cursor, connection.wrap_database_errors:  # Django's IntegrityError / DataError
        cursor.copy_expert(f"COPY {connection.ops.quote_name(model._meta.db_table)} ({columns}) FROM STDIN", buffer)
