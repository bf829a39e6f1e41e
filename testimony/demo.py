"""Demo: an Education Committee hearing on the coalition's funding bill, with witnesses of several members at
different steps (DESIGN.md section 9). Idempotent: the hearing is found by host and title, witnesses by email
(through contact_upsert), and a witness already signed up is left as it is. Needs no other demo contacts."""
from datetime import datetime
from zoneinfo import ZoneInfo

from contacts.inputs import PersonInput

from . import services
from .models import Hearing, Testimony

TITLE = "Public hearing on education funding"
CONSENT = ("I understand that my name, my organization and what I say or submit become part of the public record "
           "and are posted online, where search engines index them.")
WITNESSES = [
    # member, given, family, email, role, mode, language, position on HB 5001, steps to take
    ("conncan", "María", "González", "maria.gonzalez@example.org", "parent", "in_person", "es", "support",
     ["consent", "draft", "reviewed", "registered"]),
    ("conncan", "Jamal", "Carter", "jamal.carter@example.org", "student", "zoom", "en", "support",
     ["consent", "draft", "reviewed"]),
    ("e4e-ct", "Sarah", "Kim", "sarah.kim@example.org", "teacher", "in_person", "en", "support", ["draft"]),
    ("faithacts", "Daniel", "Brooks", "daniel.brooks@example.org", "faith_leader", "in_person", "en", "support",
     ["drafting"]),
    ("ssfp", "Priya", "Patel", "priya.patel@example.org", "advocate", "written_only", "en", "support",
     ["consent", "draft", "reviewed"]),
    ("ccsa", "Luis", "Rivera", "luis.rivera@example.org", "parent", "phone", "es", "neutral", []),
]
DRAFT = ("My children attend school in Bridgeport. Connecticut's funding formula leaves districts that mainly serve "
         "students of color $713 million short of districts that mainly serve white students. Please pass HB 5001 "
         "so that every child's school is funded fairly.")


def seed(context: dict) -> None:
    organizations = context.get("organizations", {})
    host = organizations.get("conncan") or next(iter(organizations.values()), None)
    if host is None:
        return
    hearing = Hearing.objects.filter(host=host, title=TITLE).first()
    if hearing is None:
        hearing = services.hearing_create(organization=host, data={
            "committee": "Education", "title": TITLE,
            "starts_at": datetime(2027, 2, 24, 10, 0, tzinfo=ZoneInfo("America/New_York")),
            "format": Hearing.Format.HYBRID, "room": "LOB Room 2E",
            "registration_url": "https://www.cga.ct.gov/ed/testimony-registration",
            "written_testimony_url": "https://www.cga.ct.gov/CGATestimonySub/CGAtestimonysubmission.aspx?comm_code=ed",
            "written_deadline": datetime(2027, 2, 23, 17, 0, tzinfo=ZoneInfo("America/New_York")),
            "bills": [{"number": "HB 5001", "title": "An Act Concerning Equitable Education Funding",
                       "lco_number": "LCO 2101"},
                      {"number": "SB 1", "title": "An Act Concerning Education Funding Transparency"}]})
    for slug, given, family, email, role, mode, language, position, steps in WITNESSES:
        organization = organizations.get(slug)
        if organization is None:
            continue
        body = PersonInput(data={"given_name": given, "family_name": family, "language": language,
                                 "emails": [{"address": email, "primary": True}]})
        body.is_valid(raise_exception=True)
        if Testimony.objects.filter(hearing=hearing, contact__emails__normalized__iexact=email).exists():
            continue
        testimony = services.testimony_create(hearing=hearing, organization=organization, person=body.validated_data,
                                              positions=[{"bill": "HB 5001", "position": position}], mode=mode,
                                              role=role, language=language)
        for step in steps:
            if step == "consent":
                services.public_record_consent_record(testimony=testimony, text=CONSENT)
            elif step == "draft":
                services.draft_add(testimony=testimony, text=DRAFT, note="first draft")
            elif step == "registered":
                services.testimony_transition(testimony=testimony, to="registered",
                                              confirmation="Thank you for registering to testify. (demo)")
            else:
                services.testimony_transition(testimony=testimony, to=step)
    context["hearing"] = hearing
