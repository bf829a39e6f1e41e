import json

import pytest
from django.test import override_settings

pytestmark = pytest.mark.django_db


def _assert_error(response, status, code):
    assert response.status_code == status, response.content[:500]
    body = response.json()
    assert set(body) == {"error"} and body["error"]["code"] == code and body["error"]["message"]
    return body


def test_malformed_json_is_400(client_a):
    response = client_a.generic("POST", "/api/v1/audit-events/export/", "{not json", content_type="application/json")
    _assert_error(response, 400, "parse_error")


def test_wrong_content_type_is_415(client_a):
    response = client_a.generic("POST", "/api/v1/audit-events/export/", "a=1",
                                content_type="application/x-www-form-urlencoded")
    _assert_error(response, 415, "unsupported_media_type")


@override_settings(DATA_UPLOAD_MAX_MEMORY_SIZE=1000)
def test_oversized_body_is_413(client_a):
    body = json.dumps({"padding": "x" * 5000})
    response = client_a.generic("POST", "/api/v1/audit-events/export/", body, content_type="application/json")
    _assert_error(response, 413, "payload_too_large")


def test_unknown_api_path_is_404_in_the_error_shape(client_a):
    _assert_error(client_a.get("/api/v1/no-such-thing/"), 404, "not_found")


def test_unknown_object_id_is_404(client_a):
    _assert_error(client_a.get("/api/v1/jobs/00000000-0000-0000-0000-000000000000/"), 404, "not_found")
    _assert_error(client_a.get("/api/v1/jobs/not-a-uuid/"), 404, "not_found")


def test_method_not_allowed_is_405(client_a):
    _assert_error(client_a.delete("/api/v1/me"), 405, "method_not_allowed")


def test_field_errors_name_the_field(client_a):
    body = _assert_error(client_a.post("/api/v1/audit-events/export/", {"since": "yesterday-ish"}, format="json"),
                         400, "validation_error")
    assert list(body["error"]["fields"]) == ["since"]
    assert body["error"]["message"].startswith("since:")
