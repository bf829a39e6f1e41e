"""api.parsers.FastJSONParser gives what DRF's JSONParser gives: the same data (values and types) or the same
ParseError, whatever the body."""
import io
import json
import sys
from pathlib import Path

import pytest
from rest_framework.exceptions import ParseError
from rest_framework.parsers import JSONParser

from api.parsers import FastJSONParser

sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "bench"))
from bench_contacts import record  # noqa: E402

BODIES = [
    json.dumps({"records": [record(n) for n in range(50)]}).encode(),
    json.dumps([{"given_name": "Zoë \u2028 😀", "custom_fields": {"n": 3, "f": 0.1, "x": None, "t": True}}],
               ensure_ascii=False).encode(),
    b'{"a":1,"a":2,"b":[]}', b"-0", b"-0.0", b"0.1", b"1e2", b"1.0", b"1.5e-400", b"4.9e-324", b"123.456e-2",
    b"2.2250738585072011e-308", b"18446744073709551615", b"-9223372036854775808", b"999999999999999999",
    b"1234567890123456789.5", b'"\\ud83d\\ude00"', b'"\\/"', b'  \n\r\t{"x": "\\u0000"} ', b"[]", b"{}", b"null",
    # orjson reads these differently or refuses them: DRF's parser answers
    b"18446744073709551616", b"-9223372036854775809", b"123456789012345678901234567890",
    b'{"custom_fields": {"id": 12345678901234567890123}}', b"1" * 5000, b"1E400", b"-1e400",
    b"1.7976931348623157e309", b'"\\ud800"', b'{"given_name": "a\\udc00"}', b"NaN", b"Infinity", b"-Infinity",
    b"[1,]", b"\xef\xbb\xbf{}", b'"a\tb"', b'{"x":1} x', b'"\xff"', b'"\xed\xa0\x80"', b"", b"  ",
    b"[" * 1100 + b"]" * 1100,
]


def _parse(parser, body, context=None):
    try:
        data = parser.parse(io.BytesIO(body), "application/json", context or {})
    except ParseError as exc:
        return "ParseError", str(exc.detail)
    except RecursionError:  # the standard library on deep nesting (a 500, as before)
        return "RecursionError"
    return "data", repr(data)


@pytest.mark.parametrize("body", BODIES, ids=range(len(BODIES)))
def test_same_as_drf(body):
    assert _parse(FastJSONParser(), body) == _parse(JSONParser(), body)


@pytest.mark.parametrize("encoding", ["utf-8", "UTF-8", "latin-1", "utf-16", "bz2_codec", "nonsense"])
def test_other_charsets_are_drfs(encoding):
    for body in (b'{"n": "caf\xe9"}', '{"n": "café"}'.encode("utf-16"), b'{"n": "caf\xc3\xa9"}'):
        context = {"encoding": encoding}
        assert _parse(FastJSONParser(), body, context) == _parse(JSONParser(), body, context)


def test_the_api_parses_with_it():
    from rest_framework.settings import api_settings
    assert api_settings.DEFAULT_PARSER_CLASSES == [FastJSONParser]
