"""Creating people the only way the system does: contacts.services.contact_upsert on a validated PersonInput."""
from contacts.inputs import PersonInput
from contacts.services import contact_upsert


def person_input(given="Ana", family="Lopez", *, email=None, phone=None, consents=()) -> dict:
    """A validated PersonInput (organization-scope consents from a form, with their wording)."""
    body = {"given_name": given, "family_name": family}
    if email:
        body["emails"] = [{"address": email, "primary": True}]
    if phone:
        body["phones"] = [{"number": phone, "type": "mobile"}]
    if consents:
        body["consents"] = [{"channel": c, "status": s, "scope": "organization", "source": "form",
                             "text": f"I agree to {c}"} for c, s in consents]
    serializer = PersonInput(data=body)
    serializer.is_valid(raise_exception=True)
    return serializer.validated_data


def make_person(organization, given="Ana", family="Lopez", *, email=None, phone=None, consents=(), source="api"):
    person = person_input(given, family, email=email, phone=phone, consents=consents)
    return contact_upsert(organization=organization, person=person, source=source).contact
