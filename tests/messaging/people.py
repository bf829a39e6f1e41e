"""Creating people the only way the system does: contacts.services.contact_upsert on a validated PersonInput."""
from contacts.inputs import PersonInput
from contacts.services import contact_upsert


def make_person(organization, given="Ana", family="Lopez", *, email=None, phone=None, consents=(), source="api"):
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
    return contact_upsert(organization=organization, person=serializer.validated_data, source=source).contact
