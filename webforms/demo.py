"""Demo forms: the coalition's "Add your name" petition to close Connecticut's $713 million funding gap and a
"Tell your story" form, owned by ConnCAN (the coalition admin member) and co-sponsored by the other members."""
from .models import Form, FormCosponsor

INTRO = (
    "Connecticut's school funding leaves districts that mainly serve students of color **$713 million** behind "
    "districts that mainly serve white students. Every child deserves a fully funded school.\n\n"
    "Add your name to ask the General Assembly to close the gap this session."
)
INTRO_ES = (
    "El financiamiento escolar de Connecticut deja a los distritos que atienden principalmente a estudiantes de "
    "color **$713 millones** por detrás de los distritos que atienden principalmente a estudiantes blancos. "
    "Cada niño merece una escuela con financiamiento completo.\n\n"
    "Agregue su nombre para pedirle a la Asamblea General que cierre la brecha en esta sesión."
)
CONSENTS = {
    "email_consent_text": "Email me updates about this campaign from the organizations named below.",
    "sms_consent_text": "Text me updates about this campaign (message and data rates may apply; reply STOP to stop).",
    "coalition_consent_text": "Share my name, contact details and ZIP code with all members of the Education "
                              "Justice Now Coalition.",
}
CONSENTS_ES = {
    "email_consent_text": "Envíenme por correo novedades de esta campaña de las organizaciones nombradas abajo.",
    "sms_consent_text": "Envíenme mensajes de texto sobre esta campaña (pueden aplicarse tarifas; responda STOP "
                        "para dejar de recibirlos).",
    "coalition_consent_text": "Compartan mi nombre, mis datos de contacto y mi código postal con todos los miembros "
                              "de la coalición Education Justice Now.",
}

FORMS = [
    dict(slug="add-your-name", kind="petition", title="Add your name: close the $713 million gap",
         introduction=INTRO, goal=5000, sms_consent="optional", coalition_consent="optional",
         thank_you_text="Thank you for adding your name! Share the petition with a friend.",
         translations={"es": {"title": "Agregue su nombre: cerremos la brecha de $713 millones",
                              "introduction": INTRO_ES,
                              "thank_you_text": "¡Gracias por agregar su nombre! Comparta la petición con alguien.",
                              **CONSENTS_ES}}),
    dict(slug="tell-your-story", kind="story", title="Tell your story",
         introduction="How has school funding shaped your child's school, or your classroom? Your story helps "
                      "legislators see what the $713 million gap means for real families.",
         standard_fields={"given_name": "required", "family_name": "required", "email": "required",
                          "phone": "optional", "postal_code": "required", "address": "hidden"},
         questions=[{"key": "role", "type": "choice", "label": "I am a", "label_es": "Soy", "required": True,
                     "choices": [{"value": "parent", "label": "Parent or guardian", "label_es": "Madre, padre o tutor"},
                                 {"value": "student", "label": "Student", "label_es": "Estudiante"},
                                 {"value": "educator", "label": "Educator", "label_es": "Educador/a"},
                                 {"value": "other", "label": "Community member", "label_es": "Miembro de la comunidad"}]},
                    {"key": "may_quote", "type": "checkbox", "label": "You may share my story publicly",
                     "label_es": "Pueden compartir mi historia públicamente"}],
         sms_consent="hidden", coalition_consent="optional",
         thank_you_text="Thank you for sharing your story. An organizer may contact you before it is used.",
         translations={"es": {"title": "Cuente su historia",
                              "introduction": "¿Cómo ha afectado el financiamiento escolar a la escuela de su hijo o a "
                                              "su salón de clases? Su historia ayuda a los legisladores a ver lo que "
                                              "significa la brecha de $713 millones para familias reales.",
                              "thank_you_text": "Gracias por compartir su historia. Alguien del equipo podría "
                                                "contactarle antes de usarla.", **CONSENTS_ES}}),
]


TESTIFY = dict(
    slug="testify-on-school-funding", kind="testimony", title="Testify: close the $713 million gap",
    introduction="Legislators need to hear from parents, students and educators. Sign up and an organizer will "
                 "help you prepare and register for the Education Committee hearing yourself.",
    sms_consent="optional", coalition_consent="hidden",
    thank_you_text="Thank you for signing up to testify! An organizer will contact you within two days.",
    translations={"es": {"title": "Testifique: cerremos la brecha de $713 millones",
                         "thank_you_text": "¡Gracias por inscribirse para testificar! Alguien del equipo le "
                                           "contactará en dos días.", **CONSENTS_ES}})


RSVP = dict(
    slug="rally-at-the-capitol", kind="event_rsvp", title="RSVP: rally at the Capitol",
    introduction="Stand with families at the Capitol to close the $713 million gap. Pick a shift to help.",
    sms_consent="optional", coalition_consent="hidden",
    thank_you_text="You're signed up! We'll send a reminder before the rally.",
    translations={"es": {"title": "Confirme: manifestación en el Capitolio",
                         "thank_you_text": "¡Está inscrito! Le enviaremos un recordatorio antes de la manifestación.",
                         **CONSENTS_ES}})


def seed(context: dict) -> None:
    organizations = context["organizations"]
    owner = organizations["conncan"]
    origins = sorted({origin for o in organizations.values() for origin in o.allowed_embed_origins})
    context["forms"] = {}
    specs = FORMS + ([dict(TESTIFY, hearing=context["hearing"])] if context.get("hearing") else [])
    if context.get("events", {}).get("rally"):
        specs.append(dict(RSVP, event=context["events"]["rally"]))
    for spec in specs:
        spec = dict(spec)
        slug = spec.pop("slug")
        form, _ = Form.objects.update_or_create(slug=slug, defaults={
            "organization": owner, "email_consent": "optional", "allowed_origins": origins, **CONSENTS, **spec})
        for slug_, organization in organizations.items():
            if organization.pk != owner.pk:
                FormCosponsor.objects.update_or_create(form=form, organization=organization,
                                                       defaults={"sharing": "recruited", "ref": slug_})
        context["forms"][form.slug] = form
