"""Event RSVP forms go through events.services.signup_create: shift chosen on the form, recruiter and utm_*
recorded on the signup, one RSVP per person and form."""
import pytest
from django.test import Client

from events import models as event_models
from organizations.errors import DomainError
from tests.events.builders import make_event
from tests.support import client_for
from webforms.models import FormAction
from webforms.services import submission_receive

from .factories import make_form, signer

pytestmark = pytest.mark.django_db


@pytest.fixture
def rsvp_form(org_a, org_b):
    event = make_event(org_a, shifts=[("marshal", 0, 2, 1), ("greeter", 1, 2, 10)])
    return make_form(org_a, slug="rally", kind="event_rsvp", event=event, cosponsors=[(org_b, "recruited", "bravo")])


def test_an_rsvp_signs_the_person_up_for_the_chosen_shift(rsvp_form, org_b):
    marshal = rsvp_form.event.shifts.get(role="marshal")
    data = signer(rsvp_form, answers={"shift": str(marshal.pk)}, ref="bravo", utm_campaign="rally")
    assert submission_receive(form=rsvp_form, data=data, ip="203.0.113.5").outcome == "recorded"
    signup = event_models.Signup.objects.get()
    assert (signup.shift, signup.source, signup.utm_campaign) == (marshal, "form", "rally")
    assert FormAction.objects.get().details["signup"] == str(signup.pk)
    again = submission_receive(form=rsvp_form, data=signer(rsvp_form, answers={"shift": str(marshal.pk)}),
                               ip="203.0.113.5")
    assert again.outcome == "already_recorded" and event_models.Signup.objects.count() == 1


def test_the_shift_is_required_and_listed_on_the_page(rsvp_form):
    with pytest.raises(DomainError) as caught:
        submission_receive(form=rsvp_form, data=signer(rsvp_form, answers={}), ip="203.0.113.5")
    assert "answers.shift" in caught.value.fields
    html = Client().get("/embed/rally/?lang=es").content.decode()
    assert "Elija un turno" in html and "marshal" in html and "greeter" in html


def test_the_api_needs_a_visible_event_for_an_rsvp_form(org_a, rsvp_form):
    body = {"slug": "r2", "kind": "event_rsvp", "title": "RSVP", "email_consent_text": "Email me.",
            "event": str(rsvp_form.event.pk)}
    assert client_for(org_a).post("/api/v1/forms/", body, format="json").status_code == 201
