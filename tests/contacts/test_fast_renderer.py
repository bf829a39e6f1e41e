"""api.renderers.FastJSONRenderer writes the same bytes as DRF's JSONRenderer for what the feed and bulk send."""
import datetime
import uuid
from decimal import Decimal

from rest_framework.renderers import JSONRenderer

from api.renderers import FastJSONRenderer

PAYLOAD = {
    "results": [{"seq": 7, "kind": "created", "id": uuid.UUID("12345678-1234-5678-1234-567812345678"),
                 "contact": {"given_name": "Nguyễn", "family_name": "O'Brien \"x\" \\ \n\t\u2028 \u2029 \u2013",
                             "latitude": 41.76, "longitude": -72.68, "held": True, "merged_into": None,
                             "tags": ["a", "b"], "custom_fields": {"n": 3, "big": 2 ** 53, "f": 0.1, "neg": -0.0}}}],
    "at": datetime.datetime(2026, 11, 23, 12, 0, 0, 123456, tzinfo=datetime.timezone.utc),
    "naive": datetime.datetime(2026, 11, 23, 12, 0), "day": datetime.date(2026, 11, 23),
    "amount": Decimal("1.50"), 3: "int key", "next_cursor": "42", "has_more": False,
}


def test_same_bytes_as_drf():
    assert FastJSONRenderer().render(PAYLOAD) == JSONRenderer().render(PAYLOAD)


def test_falls_back_for_what_orjson_cannot_write():
    data = {"huge": 2 ** 70}
    assert FastJSONRenderer().render(data) == JSONRenderer().render(data)
    assert FastJSONRenderer().render(None) == b""
    indented = "application/json; indent=2"
    assert FastJSONRenderer().render(PAYLOAD, indented) == JSONRenderer().render(PAYLOAD, indented)
