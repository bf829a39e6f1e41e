"""The submission service: contact, consents, action, attribution, de-duplication, abuse rules."""
import time

import pytest

from contacts.models import Consent, Contact, OrganizationContact
from organizations.errors import DomainError
from webforms.models import FormAction, OutboxMessage, Submission
from webforms.services import submission_receive
from webforms.tokens import token_issue

from .factories import CONSENT_COALITION, CONSENT_EMAIL, make_form, old_token, signer

pytestmark = pytest.mark.django_db


@pytest.fixture
def orgs(make_org):
    return {"owner": make_org("owner"), "all": make_org("everyone"), "rec": make_org("recruiter"),
            "none": make_org("silent")}


@pytest.fixture
def form(orgs):
    return make_form(orgs["owner"], cosponsors=[(orgs["all"], "all", "ev"), (orgs["rec"], "recruited", "rc"),
                                                (orgs["none"], "none", "si")])


def test_a_signature_creates_contact_consent_action_attribution_and_outbox(form, orgs):
    receipt = submission_receive(form=form, data=signer(form, consent_coalition=True, utm_source="newsletter"),
                                 ip="203.0.113.9", language="en")
    assert receipt.outcome == "recorded"
    contact = Contact.objects.get()
    assert (contact.given_name, contact.family_name) == ("Maria", "Lopez")
    assert contact.coalition_shared, "the coalition box is a coalition-scope opt-in"
    email_consent = Consent.objects.get(channel="email", scope="organization", organization=orgs["owner"])
    assert (email_consent.status, email_consent.source, email_consent.text, email_consent.ip_address) == (
        "opt_in", "form", CONSENT_EMAIL, "203.0.113.9")
    coalition = Consent.objects.get(scope="coalition")
    assert coalition.text == CONSENT_COALITION and coalition.channel == "email"
    action = FormAction.objects.get()
    assert (action.kind, action.contact, action.recruited_by) == ("petition", contact, orgs["owner"])
    submission = Submission.objects.get()
    assert submission.utm_source == "newsletter" and submission.recruited_by == orgs["owner"]
    # owner and the "all" co-sponsor hold the person; "recruited" (not its ref) and "none" do not
    holders = set(OrganizationContact.objects.filter(contact=contact).values_list("organization__slug", flat=True))
    assert holders == {"owner", "everyone"}
    assert Consent.objects.filter(channel="email", scope="organization", organization=orgs["all"]).exists()
    kinds = sorted(OutboxMessage.objects.values_list("kind", "organization__slug"))
    assert kinds == [("confirmation", "owner"), ("notification", "everyone"), ("notification", "owner")]


def test_ref_code_credits_the_cosponsor_and_shares_with_it(form, orgs):
    submission_receive(form=form, data=signer(form, ref="rc"), ip="203.0.113.9")
    submission = Submission.objects.get()
    assert submission.recruited_by == orgs["rec"] and submission.ref == "rc"
    assert FormAction.objects.get().recruited_by == orgs["rec"]
    assert OrganizationContact.objects.filter(organization=orgs["rec"]).exists()
    assert not OrganizationContact.objects.filter(organization=orgs["none"]).exists()


def test_a_none_cosponsor_ref_is_credited_but_receives_nothing(form, orgs):
    submission_receive(form=form, data=signer(form, ref="si"), ip="203.0.113.9")
    assert Submission.objects.get().recruited_by == orgs["none"]
    assert not OrganizationContact.objects.filter(organization=orgs["none"]).exists()


def test_signing_twice_keeps_one_signature(form):
    first = submission_receive(form=form, data=signer(form), ip="203.0.113.9")
    second = submission_receive(form=form, data=signer(form, email="MARIA@EXAMPLE.ORG"), ip="203.0.113.9")
    assert (first.outcome, second.outcome) == ("recorded", "already_recorded")
    assert FormAction.objects.count() == 1 and Contact.objects.count() == 1
    assert Submission.objects.count() == 2
    assert OutboxMessage.objects.filter(kind="confirmation").count() == 1, "no second confirmation"


def test_the_same_token_twice_creates_nothing_new(form):
    data = signer(form)
    submission_receive(form=form, data=data, ip="203.0.113.9")
    again = submission_receive(form=form, data=dict(data, given_name="Someone", email="other@example.org"),
                               ip="203.0.113.9")
    assert again.outcome == "duplicate_token"
    assert (Submission.objects.count(), Contact.objects.count(), OutboxMessage.objects.count()) == (1, 1, 3)


@pytest.mark.parametrize("trap", ["honeypot", "too_fast"])
def test_a_bot_is_thanked_and_nothing_is_stored(form, trap):
    data = signer(form, website="http://spam.example") if trap == "honeypot" else signer(
        form, token=token_issue(form))
    receipt = submission_receive(form=form, data=data, ip="203.0.113.9")
    assert receipt.outcome == "discarded" and receipt.thank_you_text == "Thanks for signing!"
    assert (Submission.objects.count(), Contact.objects.count(), Consent.objects.count()) == (0, 0, 0)


def test_expired_forged_and_foreign_tokens_are_refused(form, orgs, settings):
    other = make_form(orgs["owner"], slug="other-form")
    for token, code in [(old_token(form, seconds=settings.FORMS_TOKEN_MAX_AGE + 5), "token_expired"),
                        (old_token(form)[:-2] + "xx", "token_invalid"), (old_token(other), "token_invalid"),
                        ("", "token_invalid"), ({"a": 1}, "token_invalid")]:
        with pytest.raises(DomainError) as caught:
            submission_receive(form=form, data=signer(form, token=token), ip="203.0.113.9")
        assert (caught.value.code, caught.value.status) == (code, 400)
    assert Submission.objects.count() == 0


def test_required_fields_consents_and_lengths_are_enforced(form):
    form.coalition_consent = "required"
    form.questions = [{"key": "role", "type": "choice", "label": "I am a", "required": True,
                       "choices": [{"value": "parent", "label": "Parent"}, {"value": "teacher", "label": "Teacher"}]}]
    form.save()
    with pytest.raises(DomainError) as caught:
        submission_receive(form=form, data=signer(form, given_name="x" * 101, email="not-an-email", postal_code="",
                                                  answers={"role": "astronaut"}), ip="203.0.113.9")
    fields = caught.value.fields
    assert set(fields) == {"given_name", "email", "postal_code", "consent_coalition", "answers.role"}
    assert caught.value.status == 400 and Submission.objects.count() == 0


def test_closed_and_not_yet_open_forms_are_refused(form):
    from django.utils import timezone
    form.closes_at = timezone.now() - timezone.timedelta(minutes=1)
    form.save()
    with pytest.raises(DomainError) as caught:
        submission_receive(form=form, data=signer(form), ip="203.0.113.9")
    assert (caught.value.code, caught.value.status) == ("form_closed", 410)
    form.closes_at, form.opens_at = None, timezone.now() + timezone.timedelta(days=1)
    form.save()
    with pytest.raises(DomainError):
        submission_receive(form=form, data=signer(form), ip="203.0.113.9")


def test_rate_limits_per_ip_and_per_form(form, settings):
    settings.FORMS_RATE_PER_IP = "2/min"
    for _ in range(2):
        submission_receive(form=form, data=signer(form), ip="198.51.100.7")
    with pytest.raises(DomainError) as caught:
        submission_receive(form=form, data=signer(form), ip="198.51.100.7")
    assert caught.value.status == 429 and caught.value.extra["retry_after"] >= 1
    submission_receive(form=form, data=signer(form), ip="198.51.100.8")  # another IP is fine
    settings.FORMS_RATE_PER_IP, settings.FORMS_RATE_PER_FORM = "0", "3/min"
    with pytest.raises(DomainError) as caught:
        submission_receive(form=form, data=signer(form), ip="198.51.100.9")
    assert caught.value.code == "throttled"


def test_story_and_volunteer_kinds(orgs):
    story = make_form(orgs["owner"], slug="tell-your-story", kind="story")
    submission_receive(form=story, data=signer(story, story="My son's school lost its counselor."), ip="203.0.113.9")
    submission_receive(form=story, data=signer(story, story="And its librarian."), ip="203.0.113.9")
    assert FormAction.objects.filter(kind="story").count() == 2, "every story is kept"
    with pytest.raises(DomainError) as caught:
        submission_receive(form=story, data=signer(story), ip="203.0.113.9")
    assert "story" in caught.value.fields
    volunteer = make_form(orgs["owner"], slug="volunteer", kind="volunteer", questions=[
        {"key": "drive", "type": "checkbox", "label": "I can drive people"},
        {"key": "skills", "type": "text", "label": "Skills", "max_length": 50}])
    submission_receive(form=volunteer, data=signer(volunteer, answers={"drive": "on", "skills": "Spanish"}),
                       ip="203.0.113.9")
    action = FormAction.objects.get(kind="volunteer")
    assert action.details == {"drive": True, "skills": "Spanish"}


@pytest.mark.parametrize("kind", ["event_rsvp", "testimony"])
def test_rsvp_and_testimony_forms_without_their_event_or_hearing_are_refused(orgs, kind):
    form = make_form(orgs["owner"], slug=f"k-{kind}", kind=kind)
    with pytest.raises(DomainError) as caught:
        submission_receive(form=form, data=signer(form), ip="203.0.113.9")
    assert (caught.value.code, caught.value.status) == ("form_not_ready", 409)


def test_an_opt_out_stays_when_the_box_is_not_ticked(form, orgs):
    submission_receive(form=form, data=signer(form), ip="203.0.113.9")
    contact = Contact.objects.get()
    Consent.objects.create(contact=contact, channel="email", scope="organization", organization=orgs["owner"],
                           recorded_by=orgs["owner"], status="opt_out", source="api")
    submission_receive(form=form, data=signer(form, consent_email=False), ip="203.0.113.9")
    from contacts.consent import consent_status
    assert consent_status(contact, "email", orgs["owner"]) == "opt_out"


def test_submission_webhooks_go_to_the_organizations_entitled_to_the_signer(form, orgs):
    from webhooks.models import WebhookMessage
    from webhooks.services import webhook_create

    for org in orgs.values():
        webhook_create(organization=org, url="http://127.0.0.1:9/in", actor=None, event_types=["submission.created"])
    submission_receive(form=form, data=signer(form), ip="203.0.113.9")
    told = set(WebhookMessage.objects.filter(event_type="submission.created")
               .values_list("organization__slug", flat=True))
    assert told == {"owner", "everyone"}, "the 'recruited' co-sponsor (not its ref) and 'none' learn nothing"
    payload = WebhookMessage.objects.get(organization=orgs["owner"]).payload
    assert payload["submission"]["id"] == str(Submission.objects.get().pk)


@pytest.mark.parametrize("ip", ["203.0.113.9", "2001:db8::7", "2001:DB8:0:0:0:0:0:7", None, "not-an-ip"])
@pytest.mark.parametrize("text", [CONSENT_EMAIL, "  Padded text. ", "x" * 5001])
def test_a_forms_person_is_validated_as_person_input_would(form, ip, text):
    """The lean path of _validated_person gives what PersonInput gives, or leaves the judgement to it."""
    from django.utils import timezone

    from contacts.inputs import PersonInput
    from webforms.services import _person, _validated_person
    from webforms.validation import validate_submission

    form.email_consent_text = text
    cleaned, errors = validate_submission(form, signer(form, phone="860-555-0123", consent_sms=True,
                                                       consent_coalition=True))
    assert not errors
    person = _person(form, cleaned, language="en", ip=ip, coalition=True, now=timezone.now())
    reference = PersonInput(data=person)
    if not reference.is_valid():
        with pytest.raises(DomainError) as caught:
            _validated_person(person)
        assert caught.value.fields == {"consents": ["Check this field."]}
        return
    assert _validated_person(person) == reference.validated_data


def test_a_value_the_database_cannot_hold_is_refused_by_field(form):
    with pytest.raises(DomainError) as caught:
        submission_receive(form=form, data=signer(form, family_name="Lo\x00pez"), ip="203.0.113.9")
    assert caught.value.fields == {"family_name": ["Check this field."]} and Submission.objects.count() == 0
