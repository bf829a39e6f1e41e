"""The lean signup validation path (events.serializers.signup_input) must give exactly what SignupInput gives, or
step aside so SignupInput reports the errors."""
import copy

import pytest
from rest_framework.exceptions import ValidationError

from events.serializers import SignupInput, _lean_signup, signup_input

SHIFT = "6f1c2a4e-54c1-4b8e-9d1e-3a7d2c1b0a99"
PERSON = {"given_name": "Vol1", "family_name": "Bench1", "emails": [{"address": "vol1@example.org"}]}
ORDINARY = [
    {"person": PERSON, "shift": SHIFT, "referrer": {"utm_source": "bench"}},
    {"contact": SHIFT.upper()},
    {"contact": "{" + SHIFT + "}", "shift": None, "guests": 3, "source": "form", "override_overlap": True},
    {"person": {"given_name": " Ana ", "phones": [{"number": "(203) 555-0142"}]}, "shift": SHIFT.replace("-", "")},
    {"person": PERSON, "referrer": {"utm_source": "", "utm_medium": "email", "utm_campaign": "Café ☕", "url": "",
                                    "utm_term": "t", "utm_content": "c", "other": 1}, "unknown": [1]},
    {"person": {**PERSON, "consents": [{"channel": "email", "status": "opt_in"}]}, "guests": 0, "source": "staff"},
]
AWKWARD = [
    [], "x", {}, {"contact": SHIFT, "person": PERSON}, {"contact": None}, {"contact": "nope"}, {"contact": 5},
    {"person": None}, {"person": "x"}, {"person": {}}, {"person": {"emails": [{"address": "nope"}]}},
    {"person": PERSON, "shift": ""}, {"person": PERSON, "shift": "nope"}, {"person": PERSON, "shift": 7},
    {"person": PERSON, "guests": -1}, {"person": PERSON, "guests": 21}, {"person": PERSON, "guests": "2"},
    {"person": PERSON, "guests": True}, {"person": PERSON, "guests": 2.0}, {"person": PERSON, "guests": None},
    {"person": PERSON, "source": "walk_in"}, {"person": PERSON, "source": None}, {"person": PERSON, "source": 1},
    {"person": PERSON, "referrer": None}, {"person": PERSON, "referrer": []},
    {"person": PERSON, "referrer": {"utm_source": " padded "}}, {"person": PERSON, "referrer": {"utm_source": 5}},
    {"person": PERSON, "referrer": {"utm_source": "x" * 201}}, {"person": PERSON, "referrer": {"utm_term": "a\tb"}},
    {"person": PERSON, "referrer": {"utm_term": "a\x00b"}}, {"person": PERSON, "referrer": {"utm_term": "a\ud800"}},
    {"person": PERSON, "referrer": {"url": "https://example.org/a"}}, {"person": PERSON, "referrer": {"url": "x"}},
    {"person": PERSON, "referrer": {"utm_source": None}}, {"person": PERSON, "override_overlap": "true"},
    {"person": PERSON, "override_overlap": None},
]


@pytest.mark.parametrize("data", ORDINARY + AWKWARD)
def test_signup_input_gives_what_signup_input_serializer_gives(data):
    expected = SignupInput(data=copy.deepcopy(data))
    if expected.is_valid():
        assert signup_input(copy.deepcopy(data)) == expected.validated_data
    else:
        with pytest.raises(ValidationError) as caught:
            signup_input(copy.deepcopy(data))
        assert caught.value.detail == expected.errors


@pytest.mark.parametrize("data", ORDINARY)
def test_ordinary_bodies_take_the_lean_path(data):
    assert _lean_signup(copy.deepcopy(data)) is not None
