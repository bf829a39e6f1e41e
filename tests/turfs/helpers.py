"""Building contacts for turf tests through the real contacts write path (PersonInput + contact_upsert)."""
from contacts.inputs import PersonInput
from contacts.services import contact_upsert


def person(organization, given, family="Doe", *, line1="", postal_code="06106", city="Hartford", lat=None, lon=None,
           tags=(), phone=None, consents=()):
    body = {"given_name": given, "family_name": family, "tags": list(tags),
            "consents": [{"channel": c, "status": s, "scope": scope, "text": "I agree"} for c, s, scope in consents]}
    if line1 or postal_code:
        body["addresses"] = [{"line1": line1, "city": city, "state": "CT", "postal_code": postal_code,
                              "latitude": lat, "longitude": lon}]
    if phone:
        body["phones"] = [{"number": phone, "type": "mobile"}]
    data = PersonInput(data=body)
    data.is_valid(raise_exception=True)
    return contact_upsert(organization=organization, person=data.validated_data).contact
