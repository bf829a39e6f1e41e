"""The OData filter subset, as a pure module: what real clients send parses; anything else is a clear error."""
from datetime import datetime, timezone

import pytest

from api.osdi.odata import Clause, Field, FilterError, parse_datetime_value, parse_filter

PEOPLE = {"email_address": Field(), "family_name": Field(),
          "modified_date": Field("datetime", ("gt", "ge", "lt", "le", "eq"))}


def test_empty_filter_is_no_clause():
    assert parse_filter(None, PEOPLE) == []
    assert parse_filter("   ", PEOPLE) == []


def test_email_equality():
    assert parse_filter("email_address eq 'ana@example.org'", PEOPLE) == [
        Clause("email_address", "eq", "ana@example.org")]


def test_dates_and_conjunction():
    clauses = parse_filter("modified_date gt '2024-01-01' and modified_date lt '2024-02-01T12:30:00Z'", PEOPLE)
    assert clauses == [
        Clause("modified_date", "gt", datetime(2024, 1, 1, tzinfo=timezone.utc)),
        Clause("modified_date", "lt", datetime(2024, 2, 1, 12, 30, tzinfo=timezone.utc))]


def test_the_osdi_package_joins_clauses_with_a_bare_and():
    # osdi.base.service.ActionService.get_people: "and".join(f"{k} eq '{v}'" ...)
    assert parse_filter("email_address eq 'a@b.org'andfamily_name eq 'Li'", PEOPLE) == [
        Clause("email_address", "eq", "a@b.org"), Clause("family_name", "eq", "Li")]


def test_case_insensitive_keywords_and_doubled_quotes():
    assert parse_filter("family_name EQ 'O''Brien' AND email_address eq 'x@y.z'", PEOPLE) == [
        Clause("family_name", "eq", "O'Brien"), Clause("email_address", "eq", "x@y.z")]


def test_offsets_and_naive_times():
    assert parse_datetime_value("2024-03-01T10:00:00-05:00") == datetime(2024, 3, 1, 15, tzinfo=timezone.utc)
    assert parse_datetime_value("2024-03-01T10:00:00") == datetime(2024, 3, 1, 10, tzinfo=timezone.utc)


@pytest.mark.parametrize("text, message", [
    ("favourite_colour eq 'blue'", "unknown filter field 'favourite_colour'"),
    ("email_address like 'x'", "unknown operator 'like'"),
    ("email_address gt 'x'", "supports eq, not 'gt'"),
    ("email_address eq 'x", "unterminated string"),
    ("email_address eq x", "expected a quoted value"),
    ("email_address eq 'x' or family_name eq 'y'", "'or' is not supported"),
    ("email_address eq 'x' family_name eq 'y'", "expected 'and'"),
    ("email_address eq 'x' and", "expected a field name"),
    ("modified_date gt 'yesterday'", "is not a date"),
    ("eq 'x'", "unknown filter field 'eq'"),
    ("'x'", "expected a field name"),
])
def test_bad_filters_name_the_problem(text, message):
    with pytest.raises(FilterError, match=message.replace("(", r"\(")):
        parse_filter(text, PEOPLE)


def test_too_many_clauses():
    with pytest.raises(FilterError, match="at most"):
        parse_filter(" and ".join(["family_name eq 'x'"] * 11), PEOPLE)
