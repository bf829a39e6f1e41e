from datetime import timedelta

import pytest
from django.contrib.auth.models import User
from django.utils import timezone
from rest_framework.test import APIClient

from organizations.models import Membership, Role
from organizations.services import api_key_create, api_key_revoke
from tests.support import client_for

pytestmark = pytest.mark.django_db
ME = "/api/v1/me"


def _error(response, status, code):
    assert response.status_code == status, response.content
    body = response.json()
    assert body["error"]["code"] == code
    assert body["error"]["message"]
    assert isinstance(body["error"]["fields"], dict)
    return body


def test_missing_key_is_401_in_the_error_shape():
    response = APIClient().get(ME)
    _error(response, 401, "not_authenticated")
    assert response["WWW-Authenticate"] == "Token"


@pytest.mark.parametrize("header", ["Token", "Token a b", "Token not-a-key", "Token ejn_nothere_secret",
                                    "Bearer ejn__"])
def test_malformed_or_unknown_key_is_401(header):
    response = APIClient().get(ME, HTTP_AUTHORIZATION=header)
    _error(response, 401, "authentication_failed")


def test_right_prefix_wrong_secret_is_401(org_a):
    key, plain = api_key_create(organization=org_a, name="k")
    tampered = plain[:-4] + ("aaaa" if not plain.endswith("aaaa") else "bbbb")
    _error(APIClient().get(ME, HTTP_AUTHORIZATION=f"Token {tampered}"), 401, "authentication_failed")


def test_revoked_and_expired_keys_are_401(org_a):
    key, plain = api_key_create(organization=org_a, name="to revoke")
    assert APIClient().get(ME, HTTP_AUTHORIZATION=f"Token {plain}").status_code == 200
    api_key_revoke(prefix=key.prefix)
    _error(APIClient().get(ME, HTTP_AUTHORIZATION=f"Token {plain}"), 401, "authentication_failed")

    _, expired = api_key_create(organization=org_a, name="old", expires_at=timezone.now() - timedelta(seconds=1))
    _error(APIClient().get(ME, HTTP_AUTHORIZATION=f"Token {expired}"), 401, "authentication_failed")


def test_me_names_the_keys_organization_and_scopes(org_a):
    client = client_for(org_a, scopes=["contacts:read"])
    body = client.get(ME).json()
    assert body["organization"]["slug"] == org_a.slug
    assert body["scopes"] == ["contacts:read"]
    assert body["key"]["prefix"] == client.key.prefix
    client.key.refresh_from_db()
    assert client.key.last_used_at is not None


def test_plain_key_is_never_stored(org_a):
    key, plain = api_key_create(organization=org_a, name="k")
    key.refresh_from_db()
    secret = plain.split("_", 2)[2]  # the secret itself may contain "_"
    assert all(secret not in str(getattr(key, f.attname)) for f in key._meta.fields)


def test_wrong_scope_is_403(org_a):
    client = client_for(org_a, scopes=["contacts:read"])
    body = _error(client.get("/api/v1/jobs/"), 403, "permission_denied")
    assert "jobs:read" in body["error"]["message"]
    assert client_for(org_a, scopes=["jobs:read"]).get("/api/v1/jobs/").status_code == 200


def test_read_scope_does_not_allow_writes(org_a):
    client = client_for(org_a, scopes=["audit:read"])
    _error(client.post("/api/v1/audit-events/export/"), 403, "permission_denied")


def test_unknown_scope_is_refused(org_a):
    from organizations.errors import DomainError
    with pytest.raises(DomainError):
        api_key_create(organization=org_a, name="k", scopes=["contacts:everything"])
    with pytest.raises(DomainError):  # only coalition-admin members may hold coalition:admin
        from organizations.models import Organization
        plain_member = Organization.objects.create(coalition=org_a.coalition, slug="plain", name="P", short_name="P")
        api_key_create(organization=plain_member, name="k", scopes=["coalition:admin"])


def _staff(org, role, username):
    user = User.objects.create_user(username=username, password="pw-123456789", is_staff=True)
    Membership.objects.create(user=user, organization=org, role=role)
    client = APIClient()
    client.force_login(user)
    return user, client


def test_staff_session_acts_for_its_organization(org_a, org_b):
    _, viewer = _staff(org_a, Role.VIEWER, "viewer")
    body = viewer.get(ME).json()
    assert body["organization"]["slug"] == org_a.slug
    assert all(scope.endswith(":read") for scope in body["scopes"])
    assert viewer.get("/api/v1/jobs/").status_code == 200


def test_staff_viewer_cannot_write_and_organizer_can(org_a):
    _, viewer = _staff(org_a, Role.VIEWER, "viewer")
    _, admin = _staff(org_a, Role.ADMIN, "admin")
    _error(viewer.post("/api/v1/audit-events/export/"), 403, "permission_denied")
    assert admin.post("/api/v1/audit-events/export/").status_code == 202


def test_staff_of_two_members_must_choose_and_cannot_pick_a_foreign_one(org_a, org_b, make_org):
    user, client = _staff(org_a, Role.ADMIN, "both")
    Membership.objects.create(user=user, organization=org_b, role=Role.VIEWER)
    body = _error(client.get(ME), 400, "validation_error")
    assert "X-Organization" in body["error"]["fields"]
    assert client.get(ME, HTTP_X_ORGANIZATION="bravo").json()["organization"]["slug"] == "bravo"
    make_org("charlie")
    _error(client.get(ME, HTTP_X_ORGANIZATION="charlie"), 400, "validation_error")
