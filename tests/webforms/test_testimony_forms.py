"""Testimony sign-up forms go through the testimony service: one sign-up per person and hearing, positions per
bill, the recruiting member holds the witness."""
import pytest
from django.test import Client

from organizations.errors import DomainError
from testimony import models as testimony_models
from tests.support import client_for
from tests.testimony.builders import hearing as make_hearing
from webforms.models import FormAction
from webforms.services import submission_receive

from .factories import make_form, signer

pytestmark = pytest.mark.django_db


@pytest.fixture
def testimony_form(org_a, org_b):
    hearing = make_hearing(org_a)
    return make_form(org_a, slug="testify", kind="testimony", hearing=hearing,
                     cosponsors=[(org_b, "recruited", "bravo")])


def test_a_testimony_form_signs_the_person_up_once(testimony_form, org_b):
    data = signer(testimony_form, answers={"mode": "zoom", "bill_0": "support", "bill_1": "oppose"}, ref="bravo")
    receipt = submission_receive(form=testimony_form, data=data, ip="203.0.113.5", language="es")
    assert receipt.outcome == "recorded"
    testimony = testimony_models.Testimony.objects.get()
    assert (testimony.mode, testimony.organization, testimony.language) == ("zoom", org_b, "es")
    assert {(p.bill.number, p.position) for p in testimony.positions.all()} == {("HB 5001", "support"),
                                                                               ("SB 1", "oppose")}
    assert FormAction.objects.get().details["testimony"] == str(testimony.pk)
    again = submission_receive(form=testimony_form, data=signer(testimony_form, answers={"mode": "phone"}),
                               ip="203.0.113.5")
    assert again.outcome == "already_recorded" and testimony_models.Testimony.objects.count() == 1


def test_mode_is_required_and_the_page_shows_the_bills_in_spanish(testimony_form):
    with pytest.raises(DomainError) as caught:
        submission_receive(form=testimony_form, data=signer(testimony_form, answers={}), ip="203.0.113.5")
    assert "answers.mode" in caught.value.fields
    html = Client().get("/embed/testify/?lang=es").content.decode()
    assert "¿Cómo va a testificar?" in html and "Su posición sobre HB 5001" in html and "A favor" in html


def test_the_api_needs_a_visible_hearing_for_a_testimony_form(org_a):
    body = {"slug": "t1", "kind": "testimony", "title": "Testify", "email_consent_text": "Email me."}
    response = client_for(org_a).post("/api/v1/forms/", body, format="json")
    assert response.status_code == 400 and response.json()["error"]["fields"] == {
        "hearing": ["A testimony form needs a hearing your organization can see."]}
    hearing = make_hearing(org_a)
    created = client_for(org_a).post("/api/v1/forms/", {**body, "hearing": str(hearing.pk)}, format="json")
    assert created.status_code == 201 and created.json()["hearing"] == str(hearing.pk)
