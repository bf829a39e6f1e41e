"""The lean bulk validation path (contacts.inputs._lean_person) must give exactly what PersonInput gives, or
step aside so PersonInput reports the errors."""
import copy
import sys
from pathlib import Path

import pytest

from contacts.inputs import PersonInput, _lean_person, validate_people

sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "bench"))
from bench_contacts import record  # noqa: E402

ORDINARY = [record(n) for n in range(0, 400, 37)] + [
    {"given_name": "  Ana ", "emails": [{"address": " ana@EXAMPLE.org ", "primary": True}]},
    {"family_name": "Lee", "phones": [{"number": "(203) 555-0142"}], "language": "es", "notes": "",
     "custom_fields": {"ward": 3, "x": None}, "consents": [], "tags": []},
    {"external_id": "e1", "addresses": [{"line1": "12 Main Street Apt 4", "postal_code": "06103", "primary": True},
                                        {"city": "Hartford", "state": "ct", "latitude": None}]},
    {"external_id": None, "given_name": "Bo", "emails": [], "unknown_key": 5},
    {"given_name": "Zoë", "addresses": [{"line1": "", "line2": "", "postal_code": "06510-1234"}]},
]
AWKWARD = [
    {}, {"given_name": ""}, {"external_id": ""}, {"external_id": None}, {"given_name": 5, "emails": None},
    {"given_name": "A" * 201}, {"given_name": "a\x00b"}, {"given_name": "a\ud800"}, {"given_name": True},
    {"given_name": "A", "emails": [{"address": "nope"}]}, {"given_name": "A", "emails": [{"address": ""}]},
    {"given_name": "A", "emails": [{}]}, {"given_name": "A", "emails": ["x@y.org"]},
    {"given_name": "A", "emails": {"address": "x@y.org"}},
    {"given_name": "A", "emails": [{"address": "x@y.org", "primary": "yes"}]},
    {"given_name": "A", "emails": [{"address": "x@y.org", "primary": None}]},
    {"given_name": "A", "emails": [{"address": f"x{i}@y.org"} for i in range(21)]},
    {"given_name": "A", "phones": [{"number": "12"}]}, {"given_name": "A", "phones": [{"number": 2035550142}]},
    {"given_name": "A", "phones": [{"number": "2035550142", "type": "pager"}]},
    {"given_name": "A", "phones": [{"number": "2035550142", "type": None}]},
    {"given_name": "A", "phones": [{"number": "2035550142", "type": ""}]},
    {"given_name": "A", "addresses": [{"postal_code": "6103"}]},
    {"given_name": "A", "addresses": [{"line1": None}]}, {"given_name": "A", "addresses": [{"state": "CTX"}]},
    {"given_name": "A", "addresses": [{"latitude": 41.7, "longitude": -72.6}]},
    {"given_name": "A", "addresses": [{"latitude": 41.7}]}, {"given_name": "A", "addresses": [{"latitude": "x"}]},
    {"given_name": "A", "tags": "x"}, {"given_name": "A", "tags": [""]}, {"given_name": "A", "tags": [1]},
    {"given_name": "A", "tags": ["t" * 101]}, {"given_name": "A", "tags": ["t"] * 101},
    {"given_name": "A", "custom_fields": []}, {"given_name": "A", "custom_fields": {1: "a"}},
    {"given_name": "A", "notes": None}, {"given_name": "A", "language": "x" * 17},
    {"given_name": "A", "consents": [{"channel": "email", "status": "opt_in"}]},
    {"given_name": "A", "consents": [{"channel": "fax", "status": "opt_in"}]},
]


def _drf(record):
    from rest_framework.exceptions import ValidationError
    try:
        return PersonInput().run_validation(copy.deepcopy(record))
    except ValidationError:
        return "invalid"


@pytest.mark.parametrize("record", ORDINARY + AWKWARD)
def test_lean_path_agrees_with_person_input(record):
    lean = _lean_person(copy.deepcopy(record))
    if lean is not None:
        expected = _drf(record)
        assert lean == expected
        assert list(lean) == list(expected)


@pytest.mark.parametrize("record", ORDINARY)
def test_ordinary_records_take_the_lean_path(record):
    assert _lean_person(copy.deepcopy(record)) is not None


def test_validate_people_reports_the_same_errors_as_person_input():
    from api.errors import flatten_fields
    from rest_framework.exceptions import ValidationError

    people, errors = validate_people(ORDINARY + AWKWARD)
    for index, record in enumerate(ORDINARY + AWKWARD):
        try:
            expected = PersonInput().run_validation(copy.deepcopy(record))
        except ValidationError as exc:
            assert errors[index] == flatten_fields(exc.detail, f"records[{index}]")
            assert index not in people
        else:
            assert people[index] == expected
    assert len(errors) >= 30  # most awkward records are refused (a few, e.g. a numeric phone, are fine)
