"""Forms for the tests, and the private-object factory of the tenancy walk (basename "form")."""
import time

from tests.isolation import private_object
from webforms.models import Form, FormCosponsor
from webforms.tokens import token_issue

CONSENT_EMAIL = "Email me updates about this campaign."
CONSENT_SMS = "Text me updates (msg & data rates may apply; reply STOP to stop)."
CONSENT_COALITION = "Share my details with the members of the coalition."


def make_form(organization, slug="close-the-gap", cosponsors=(), **fields) -> Form:
    defaults = dict(kind="petition", title="Close the gap", introduction="**Add your name** to the petition.",
                    email_consent="optional", email_consent_text=CONSENT_EMAIL,
                    sms_consent="optional", sms_consent_text=CONSENT_SMS,
                    coalition_consent="optional", coalition_consent_text=CONSENT_COALITION,
                    thank_you_text="Thanks for signing!",
                    translations={"es": {"title": "Cerremos la brecha", "thank_you_text": "¡Gracias por firmar!",
                                         "email_consent_text": "Envíenme novedades por correo."}},
                    allowed_origins=["https://partner.example"])
    form = Form.objects.create(organization=organization, slug=slug, **{**defaults, **fields})
    for organization_, sharing, ref in cosponsors:
        FormCosponsor.objects.create(form=form, organization=organization_, sharing=sharing, ref=ref)
    return form


def old_token(form, seconds=60) -> str:
    """A token issued `seconds` ago (past the minimum fill time)."""
    return token_issue(form, issued_at=time.time() - seconds)


def signer(form, **overrides) -> dict:
    data = {"token": old_token(form), "given_name": "Maria", "family_name": "Lopez",
            "email": "maria@example.org", "postal_code": "06106", "consent_email": True}
    data.update(overrides)
    return data


@private_object("form")
def _form(organization):
    return make_form(organization, slug=f"private-{organization.slug}").slug
