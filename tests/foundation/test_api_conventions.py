import pytest
import yaml
from django.core.cache import cache
from rest_framework.test import APIClient

from organizations.services import audit_record
from tests.support import client_for

pytestmark = pytest.mark.django_db


@pytest.fixture
def tight_rates(settings):
    from api.throttling import IPRateThrottle, KeyRateThrottle
    rates = {"key": "3/min", "ip": "5/min"}
    cache.clear()
    original = (KeyRateThrottle.THROTTLE_RATES, IPRateThrottle.THROTTLE_RATES)
    KeyRateThrottle.THROTTLE_RATES = IPRateThrottle.THROTTLE_RATES = rates
    yield
    KeyRateThrottle.THROTTLE_RATES, IPRateThrottle.THROTTLE_RATES = original
    cache.clear()


def test_throttling_per_key_answers_429_with_headers(org_a, tight_rates):
    client = client_for(org_a)
    statuses = [client.get("/api/v1/me") for _ in range(4)]
    assert [r.status_code for r in statuses] == [200, 200, 200, 429]
    assert statuses[0]["RateLimit-Limit"] == "3" and statuses[0]["RateLimit-Remaining"] == "2"
    assert 0 < int(statuses[0]["RateLimit-Reset"]) <= 60
    throttled = statuses[3]
    assert throttled.json()["error"]["code"] == "throttled"
    assert 0 < int(throttled["Retry-After"]) <= 60
    # another key of the same organization has its own budget
    assert client_for(org_a).get("/api/v1/me").status_code == 200


def test_throttling_per_ip_covers_every_key(org_a, tight_rates):
    answers = [client_for(org_a).get("/api/v1/me").status_code for _ in range(6)]
    assert answers == [200] * 5 + [429]


def test_cursor_pagination_is_stable_while_rows_are_added(org_a):
    client = client_for(org_a)
    original = {str(audit_record(organization=org_a, actor=None, verb=f"t.{i}").pk) for i in range(250)}
    seen, url, pages = [], "/api/v1/audit-events/?page_size=100", 0
    while url:
        body = client.get(url).json()
        seen += [row["id"] for row in body["results"]]
        audit_record(organization=org_a, actor=None, verb="during.paging")  # newer rows arrive meanwhile
        url, pages = body["next"], pages + 1
        assert pages < 10
    assert len(seen) == len(set(seen)), "no row is repeated"
    assert original <= set(seen), "no row that existed at the start is skipped"


def test_page_size_is_capped_at_1000(org_a):
    client = client_for(org_a)
    for i in range(3):
        audit_record(organization=org_a, actor=None, verb="x")
    body = client.get("/api/v1/audit-events/?page_size=5000").json()
    assert "next" in body and len(body["results"]) >= 3


def test_openapi_schema_and_docs_without_cdn():
    client = APIClient()
    schema = yaml.safe_load(client.get("/api/schema/").content)
    assert schema["openapi"].startswith("3.")
    assert "/api/v1/me/" in schema["paths"] and "/api/v1/jobs/{id}/" in schema["paths"]
    docs = client.get("/api/docs/")
    assert docs.status_code == 200
    html = docs.content.decode()
    assert "swagger-ui" in html and "cdn" not in html.lower()
    assert "/static/drf_spectacular_sidecar/" in html
    assert client.get("/static/drf_spectacular_sidecar/swagger-ui-dist/swagger-ui-bundle.js").status_code == 200


def test_organizations_lists_the_coalition_members_public_fields(org_a, org_b, make_org):
    body = client_for(org_a).get("/api/v1/organizations/").json()
    assert {o["slug"] for o in body} == {"alpha", "bravo"}
    assert set(body[0]) == {"id", "name", "slug", "short_name", "website", "timezone"}
