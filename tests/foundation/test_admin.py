import pytest
from django.contrib.auth.models import User
from django.test import Client

from organizations.models import Membership, Role
from organizations.services import api_key_create, audit_record

pytestmark = pytest.mark.django_db


def _staff_client(org, role):
    user = User.objects.create_user(username=f"{org.slug}-{role}", password="x-pw-123456", is_staff=True)
    Membership.objects.create(user=user, organization=org, role=role)
    client = Client()
    client.force_login(user)
    return client


def test_staff_sees_only_their_organizations_rows(org_a, org_b):
    key_a, _ = api_key_create(organization=org_a, name="alpha sync")
    key_b, _ = api_key_create(organization=org_b, name="bravo sync")
    client = _staff_client(org_a, Role.ADMIN)
    listing = client.get("/admin/organizations/apikey/").content.decode()
    assert "alpha sync" in listing and "bravo sync" not in listing
    assert client.get(f"/admin/organizations/apikey/{key_b.pk}/change/").status_code in (302, 404)
    assert client.get(f"/admin/organizations/apikey/{key_a.pk}/change/").status_code == 200


def test_audit_events_are_read_only_in_the_admin(org_a):
    event = audit_record(organization=org_a, actor=None, verb="x.y")
    client = _staff_client(org_a, Role.ADMIN)
    assert client.get(f"/admin/organizations/auditevent/{event.pk}/change/").status_code == 200
    response = client.post(f"/admin/organizations/auditevent/{event.pk}/delete/", {"post": "yes"})
    assert response.status_code == 403
    event.refresh_from_db()


def test_viewer_cannot_change(org_a):
    key, _ = api_key_create(organization=org_a, name="alpha sync")
    client = _staff_client(org_a, Role.VIEWER)
    response = client.post(f"/admin/organizations/apikey/{key.pk}/change/", {"name": "renamed"})
    assert response.status_code == 403
    key.refresh_from_db()
    assert key.name == "alpha sync"


def test_audit_events_cannot_be_changed_in_code(org_a):
    from django.core.exceptions import ValidationError
    event = audit_record(organization=org_a, actor=None, verb="x.y")
    event.verb = "tampered"
    with pytest.raises(ValidationError):
        event.save()
    with pytest.raises(ValidationError):
        event.delete()
    from organizations.models import AuditEvent
    with pytest.raises(ValidationError):
        AuditEvent.objects.filter(pk=event.pk).delete()
