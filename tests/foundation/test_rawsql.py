"""organizations.rawsql: model instances from plain rows as the ORM builds them, and statements prepared once per
connection that survive rollbacks and reconnections."""
import pytest
from django.db import connection, transaction

from organizations import rawsql
from organizations.models import AuditEvent, Organization
from organizations.services import audit_record

pytestmark = pytest.mark.django_db(transaction=True)


def test_instances_match_the_orms_and_a_missing_join_side_is_none(org_a):
    event = audit_record(organization=org_a, actor=None, verb="x.done", details={"n": 1, "names": ["a"]})
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT {rawsql.columns(AuditEvent, 'a')}, {rawsql.columns(Organization, 'o')} "
                       f"FROM {AuditEvent._meta.db_table} a LEFT JOIN {Organization._meta.db_table} o ON false "
                       "WHERE a.id = %s", [event.pk])
        row = cursor.fetchone()
    loaded = rawsql.instance(AuditEvent, row)
    expected = AuditEvent.objects.get(pk=event.pk)
    assert [getattr(loaded, f.attname) for f in AuditEvent._meta.concrete_fields] == \
        [getattr(expected, f.attname) for f in AuditEvent._meta.concrete_fields]
    assert loaded.details == {"n": 1, "names": ["a"]} and not loaded._state.adding
    assert rawsql.instance(Organization, row, rawsql.width(AuditEvent)) is None
    both = rawsql.instances(row, AuditEvent, Organization)
    assert both[0].pk == event.pk and both[1] is None


def test_prepared_statement_survives_rollbacks_and_is_prepared_again_on_a_new_connection(org_a):
    statement = rawsql.Prepared("test_org_slug", "SELECT slug FROM organizations_organization "
                                                 "WHERE id = %(id)s AND slug LIKE 'al%%' AND name <> %(name)s "
                                                 "AND id = %(id)s")

    def run():
        with connection.cursor() as cursor:
            statement.execute(cursor, {"id": org_a.pk, "name": "x"})
            return cursor.fetchone()

    assert run() == (org_a.slug,)
    with pytest.raises(ZeroDivisionError), transaction.atomic():
        assert run() == (org_a.slug,)
        raise ZeroDivisionError
    assert run() == (org_a.slug,)  # not prepared twice ("already exists")
    connection.close()
    assert run() == (org_a.slug,)  # the new connection prepares it


def test_a_statement_built_at_run_time_takes_parameters_in_order_and_goes_with_others_in_one_round_trip(org_a):
    sql = "SELECT slug FROM organizations_organization WHERE id = %s AND name <> %s"
    statement = rawsql.prepared("test_slug", sql)
    assert rawsql.prepared("test_slug", sql) is statement  # one per text: named once
    with connection.cursor() as cursor:
        cursor.execute("SELECT 1; " + statement.mogrify(cursor, [org_a.pk, "x"]))  # the last result is returned
        assert cursor.fetchone() == (org_a.slug,)
    with pytest.raises(ValueError):
        rawsql.Prepared("test_mixed", "SELECT %(a)s, %s")
