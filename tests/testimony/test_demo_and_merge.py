import io

import pytest
from django.core.management import call_command

from testimony import models as tm

pytestmark = pytest.mark.django_db


def test_seed_demo_adds_the_funding_hearing_once():
    for _ in range(2):
        call_command("seed_demo", stdout=io.StringIO(), stderr=io.StringIO())
    hearing = tm.Hearing.objects.get()
    assert (hearing.committee, hearing.host.slug) == ("Education", "conncan")
    assert [b.number for b in hearing.bills.all()] == ["HB 5001", "SB 1"]
    statuses = {t.contact.family_name: t.status for t in tm.Testimony.objects.select_related("contact")}
    assert statuses == {"González": "registered", "Carter": "reviewed", "Kim": "draft_received",
                        "Brooks": "drafting", "Patel": "reviewed", "Rivera": "recruited"}
    assert tm.TestimonyDraft.objects.count() == 4
    assert len({t.organization_id for t in tm.Testimony.objects.all()}) == 5


def test_testimony_follows_its_contact_through_merges_and_undo(org_a):
    from contacts import merging

    from .builders import hearing, witness

    assert "testimony.testimony.contact" in merging.registered()
    first, second = hearing(org_a), hearing(org_a)
    kept = witness(first, org_a, "Rosa", "Diaz", email="rosa@example.org")
    moved = witness(second, org_a, "Rosa", "Diaz", email="rosa.d@example.org")
    twin = witness(first, org_a, "Rosa", "Diaz", email="rosa.d@example.org")  # same person, same hearing
    assert moved.contact_id == twin.contact_id != kept.contact_id
    merge = merging.contacts_merge(organization=org_a, survivor=kept.contact, merged=moved.contact)
    moved.refresh_from_db()
    twin.refresh_from_db()
    assert moved.contact_id == kept.contact_id, "the witness follows the surviving contact"
    assert twin.contact_id != kept.contact_id, "one testimony per hearing: the twin stays on the merged contact"
    merging.merge_undo(organization=org_a, merge=merge)
    moved.refresh_from_db()
    assert moved.contact_id == twin.contact_id


def test_admin_shows_staff_only_their_own_witnesses(org_a, org_b):
    from django.contrib.auth.models import User
    from django.test import Client

    from organizations.models import Membership

    from .builders import hearing, witness

    h = hearing(org_a)
    mine = witness(h, org_b, "Bea", "Bravo")
    theirs = witness(h, org_a, "Al", "Alpha")
    user = User.objects.create_user(username="bravo-admin", password="x-pw-123456", is_staff=True)
    Membership.objects.create(user=user, organization=org_b, role="admin")
    client = Client()
    client.force_login(user)
    listing = client.get("/admin/testimony/testimony/").content.decode()
    assert "Bea Bravo" in listing and "Al Alpha" not in listing
    assert client.get(f"/admin/testimony/testimony/{theirs.pk}/change/").status_code in (302, 404)
    assert client.get(f"/admin/testimony/testimony/{mine.pk}/change/").status_code == 200
    page = client.get(f"/admin/testimony/hearing/{h.pk}/change/")
    assert page.status_code == 200 and 'name="_save"' not in page.content.decode(), "seen, not editable"
    assert client.post(f"/admin/testimony/hearing/{h.pk}/change/", {"committee": "Hijacked"}).status_code == 403
