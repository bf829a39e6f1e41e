"""The public surface through HTTP: the embed page, embed.js and the JSON endpoint (CORS, CSP, i18n, errors)."""
import json
import re

import pytest
from django.test import Client
from django.utils import timezone

from contacts.models import Consent, Contact
from webforms.models import FormAction, Submission

from .factories import make_form, old_token, signer

pytestmark = pytest.mark.django_db
PARTNER = "https://partner.example"


@pytest.fixture
def form(org_a, org_b):
    return make_form(org_a, cosponsors=[(org_b, "recruited", "bravo")], goal=100, questions=[
        {"key": "role", "type": "choice", "label": "I am a", "label_es": "Soy", "required": True,
         "choices": [{"value": "parent", "label": "Parent", "label_es": "Madre o padre"},
                     {"value": "teacher", "label": "Teacher", "label_es": "Maestro/a"}]}])


def post_page(client, form, data, query="", **headers):
    fields = {k: v for k, v in data.items() if k != "answers"}
    fields.update({f"answers.{k}": v for k, v in (data.get("answers") or {}).items()})
    fields = {k: ("on" if v is True else v) for k, v in fields.items() if v is not False}
    return client.post(f"/embed/{form.slug}/{query}", fields, **headers)


def test_page_is_frameable_only_by_allowed_origins_and_accessible(form):
    response = Client().get(f"/embed/{form.slug}/")
    assert response.status_code == 200
    assert "X-Frame-Options" not in response
    csp = response["Content-Security-Policy"]
    assert f"frame-ancestors 'self' {PARTNER}" in csp and "script-src 'self'" in csp
    html = response.content.decode()
    for name in ("given_name", "family_name", "email", "postal_code"):
        assert re.search(rf'<label for="id_{name}">', html) and f'id="id_{name}"' in html
    assert 'name="token"' in html and 'role="alert"' in html and 'aria-live="assertive"' in html
    assert "0 of 100 signatures" in html and "<strong>Add your name</strong>" in html
    assert 'tabindex="-1" autocomplete="off"' in html, "the honeypot is out of the keyboard order"
    assert "cdn" not in html.lower() and "http://" not in html.replace("http://testserver", "")
    assert Client().get("/admin/login/")["X-Frame-Options"] == "DENY"


def test_spanish_by_query_or_accept_language(form):
    for response in (Client().get(f"/embed/{form.slug}/?lang=es"),
                     Client().get(f"/embed/{form.slug}/", HTTP_ACCEPT_LANGUAGE="es-MX,es;q=0.9")):
        html = response.content.decode()
        assert '<html lang="es">' in html and "Cerremos la brecha" in html
        assert "Nombre" in html and "Código postal" in html and "Madre o padre" in html
        assert "Envíenme novedades por correo." in html and "Agregue su nombre" in html


def test_posting_the_page_signs_and_thanks(form):
    response = post_page(Client(), form, signer(form, answers={"role": "parent"}, utm_source="fb"),
                         "?embed=1&ref=bravo")
    assert response.status_code == 200, response.content.decode()[:2000]
    assert "Thanks for signing!" in response.content.decode()
    submission = Submission.objects.get()
    assert submission.recruited_by.slug == "bravo" and submission.answers == {"role": "parent"}
    assert FormAction.objects.filter(kind="petition").count() == 1


def test_a_thank_you_redirect(form):
    form.redirect_url = "https://partner.example/thanks"
    form.save()
    response = post_page(Client(), form, signer(form, answers={"role": "parent"}))
    assert response.status_code == 303 and response["Location"] == "https://partner.example/thanks"
    framed = post_page(Client(), form, signer(form, answers={"role": "parent"}), "?embed=1")
    assert 'data-redirect="https://partner.example/thanks"' in framed.content.decode(), "embed.js navigates the top"
    json_answer = api(Client(), "post", form, signer(form, answers={"role": "parent"}))
    assert json_answer.json()["redirect_url"] == "https://partner.example/thanks"


def test_errors_are_announced_and_linked_in_the_page_language(form):
    data = signer(form, email="nope", answers={"role": ""}, lang="es")
    response = post_page(Client(), form, data, "?lang=es")
    assert response.status_code == 400
    html = response.content.decode()
    assert "Revise los campos señalados." in html
    assert 'aria-invalid="true" aria-describedby="id_email_error"' in html
    assert 'id="id_email_error">Escriba un correo electrónico válido' in html
    assert 'href="#id_answers_role"' in html and "Elija una de las opciones." in html
    assert 'value="nope"' in html, "what the person typed is kept"
    assert Submission.objects.count() == 0


def test_unknown_closed_and_foreign_origin_pages(form):
    assert Client().get("/embed/no-such-form/").status_code == 404
    response = post_page(Client(), form, signer(form), HTTP_ORIGIN="https://evil.example")
    assert response.status_code == 403 and "cannot be sent from that website" in response.content.decode()
    form.closes_at = timezone.now()
    form.save()
    closed = Client().get(f"/embed/{form.slug}/?lang=es")
    assert closed.status_code == 410 and "Este formulario está cerrado" in closed.content.decode()


def test_expired_token_on_the_page_asks_to_reload_and_gives_a_fresh_token(form, settings):
    data = signer(form, token=old_token(form, seconds=settings.FORMS_TOKEN_MAX_AGE + 1), answers={"role": "parent"})
    response = post_page(Client(), form, data)
    assert response.status_code == 400 and "This page has expired" in response.content.decode()
    assert re.search(r'name="token" value="[^"]+"', response.content.decode())


def test_embed_js_is_served():
    response = Client().get("/embed.js")
    assert response.status_code == 200 and response["Content-Type"].startswith("application/javascript")
    assert "ejn-form:height" in response.content.decode()


# ---- JSON -----------------------------------------------------------------------------------------------

def api(client, method, form, body=None, origin=PARTNER, **extra):
    headers = {"HTTP_ORIGIN": origin} if origin else {}
    if method == "get":
        return client.get(f"/api/public/forms/{form.slug}/", **headers, **extra)
    return client.post(f"/api/public/forms/{form.slug}/", json.dumps(body), content_type="application/json",
                       **headers, **extra)


def test_json_definition_and_cors_for_allowed_origins_only(form):
    client = Client()
    response = api(client, "get", form)
    assert response.status_code == 200 and response["Access-Control-Allow-Origin"] == PARTNER
    data = response.json()
    assert data["token"] and [f["name"] for f in data["fields"]] == ["given_name", "family_name", "email",
                                                                    "phone", "postal_code"]
    assert data["questions"][0]["choices"][0] == {"value": "parent", "label": "Parent"}
    assert data["organizations"] == [form.organization.name] and data["goal"] == 100 and data["count"] == 0
    preflight = client.options(f"/api/public/forms/{form.slug}/", HTTP_ORIGIN=PARTNER,
                               HTTP_ACCESS_CONTROL_REQUEST_METHOD="POST",
                               HTTP_ACCESS_CONTROL_REQUEST_HEADERS="content-type")
    assert preflight["Access-Control-Allow-Origin"] == PARTNER
    assert "content-type" in preflight["Access-Control-Allow-Headers"]
    foreign = api(client, "get", form, origin="https://evil.example")
    assert foreign.status_code == 403 and "Access-Control-Allow-Origin" not in foreign
    assert foreign.json()["error"]["code"] == "origin_not_allowed"
    other_path = client.get("/api/v1/me", HTTP_ORIGIN=PARTNER)
    assert "Access-Control-Allow-Origin" not in other_path
    assert api(client, "get", form, HTTP_ACCEPT_LANGUAGE="es").json()["title"] == "Cerremos la brecha"


def test_json_submission_and_its_errors(form, settings):
    client = Client()
    created = api(client, "post", form, signer(form, answers={"role": "teacher"}, consent_coalition=True))
    assert created.status_code == 201, created.content
    assert created.json() == {"status": "ok", "thank_you": "Thanks for signing!", "redirect_url": None}
    assert created["Access-Control-Allow-Origin"] == PARTNER
    contact = Contact.objects.get()
    assert contact.coalition_shared and Consent.objects.filter(contact=contact, scope="coalition").exists()

    def error(response, status, code):
        assert response.status_code == status, response.content
        body = response.json()["error"]
        assert body["code"] == code and body["message"]
        return body
    body = error(api(client, "post", form, signer(form, email="bad", answers={"role": "x"}, lang="es")), 400,
                 "validation_error")
    assert body["fields"]["email"] == ["Escriba un correo electrónico válido, como nombre@ejemplo.com."]
    assert body["fields"]["answers.role"] == ["Elija una de las opciones."]
    form.email_consent = "required"
    form.save()
    body = error(api(client, "post", form, signer(form, consent_email=False, answers={"role": "parent"})), 400,
                 "validation_error")
    assert list(body["fields"]) == ["consent_email"]
    error(api(client, "post", form, signer(form, token=old_token(form, settings.FORMS_TOKEN_MAX_AGE + 9))), 400,
          "token_expired")
    error(api(client, "post", form, signer(form), origin="https://evil.example"), 403, "origin_not_allowed")
    error(client.post(f"/api/public/forms/{form.slug}/", "given_name=x", content_type="text/plain"), 415,
          "unsupported_media_type")
    error(client.post(f"/api/public/forms/{form.slug}/", "{not json", content_type="application/json"), 400,
          "parse_error")
    error(api(client, "post", form, signer(form, story="x" * 40000)), 413, "payload_too_large")
    error(client.get("/api/public/forms/nope/"), 404, "not_found")
    form.closes_at = timezone.now()
    form.save()
    error(api(client, "post", form, signer(form)), 410, "form_closed")
    assert Submission.objects.count() == 1


def test_json_bot_gets_the_normal_answer(form):
    response = api(Client(), "post", form, signer(form, website="x", answers={"role": "parent"}))
    assert response.status_code == 201 and response.json()["thank_you"] == "Thanks for signing!"
    assert not Submission.objects.exists() and not Contact.objects.exists()


def test_json_throttled_with_retry_after(form, settings):
    settings.FORMS_RATE_PER_IP = "1/min"
    client = Client()
    assert api(client, "post", form, signer(form, answers={"role": "parent"})).status_code == 201
    response = api(client, "post", form, signer(form, answers={"role": "parent"}))
    assert response.status_code == 429 and int(response["Retry-After"]) >= 1
    assert response.json()["error"]["code"] == "throttled"


def test_the_per_process_form_cache_follows_changes(form, monkeypatch):
    """A save of the form or of a co-sponsor in this process shows at once; a change made elsewhere (here an
    UPDATE, which sends no signal, as another process's save looks from this one) within FORM_CACHE_SECONDS."""
    import time

    from webforms import views
    from webforms.models import Form, FormCosponsor

    assert views.load_form(form.slug).title == "Close the gap"
    form.title = "Fund our schools"
    form.save()
    assert views.load_form(form.slug).title == "Fund our schools"
    FormCosponsor.objects.filter(form=form).update(sharing="none")
    assert [c.sharing for c in views.load_form(form.slug).cosponsors.all()] == ["recruited"], "kept seconds"
    started = time.monotonic()
    monkeypatch.setattr(views.time, "monotonic", lambda: started + views.FORM_CACHE_SECONDS + 1)
    assert [c.sharing for c in views.load_form(form.slug).cosponsors.all()] == ["none"]
    cosponsor = FormCosponsor.objects.get(form=form)
    cosponsor.sharing = "all"
    cosponsor.save()
    assert [c.sharing for c in views.load_form(form.slug).cosponsors.all()] == ["all"]
    Form.objects.get(pk=form.pk).delete()
    assert views.load_form(form.slug) is None
