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


def test_testimony_follows_its_contact_through_merges():
    merging = pytest.importorskip("contacts.merging", reason="contacts.merging is not merged into this branch yet")
    assert "testimony.testimony.contact" in merging.registered()
