"""A partner's page (another localhost origin) pastes the embed.js snippet; a person fills the iframe form on a
375 px phone screen in headless Chromium against a real gunicorn process, in English, in Spanish, and with the
keyboard only. The database then holds the contact, the consent and the signature."""
import re
import threading
import time
from functools import partial
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest

from contacts.models import Consent, Contact
from config.serving import start_gunicorn, stop_gunicorn
from tests.support import PROJECT_DIR, free_port, subprocess_env
from webforms.models import FormAction, Submission

from .factories import CONSENT_EMAIL, make_form

pytestmark = [pytest.mark.browser, pytest.mark.slow, pytest.mark.django_db(transaction=True)]
ARTIFACTS = PROJECT_DIR / "test-artifacts"
CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
                 "--disable-component-update", "--disable-sync"]


@pytest.fixture
def form_server():
    """gunicorn with deploy/gunicorn.conf.py on 127.0.0.1 (the partner page is on localhost: another site)."""
    port = free_port()
    env = subprocess_env(GUNICORN_WORKERS="2", FORMS_MIN_FILL_SECONDS="1", FORMS_RATE_PER_IP="0")
    server = start_gunicorn(port, env=env, ready_path="/embed.js")
    yield f"http://127.0.0.1:{port}"
    stop_gunicorn(server)


@pytest.fixture
def partner_site(tmp_path):
    """A static partner website on another port, serving whatever pages the test writes."""
    port = free_port()
    httpd = ThreadingHTTPServer(("127.0.0.1", port), partial(SimpleHTTPRequestHandler, directory=str(tmp_path)))
    httpd.RequestHandlerClass.log_message = lambda *args: None
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()

    def page(name, snippet):
        (tmp_path / name).write_text(f"<!doctype html><html lang='en'><head><meta charset='utf-8'>"
                                     f"<meta name='viewport' content='width=device-width, initial-scale=1'>"
                                     f"<title>Partner</title></head><body><h1>ConnCAN</h1><p>Join us.</p>"
                                     f"{snippet}<footer>Partner footer</footer></body></html>")
        return f"http://localhost:{port}/{name}"
    page.origin = f"http://localhost:{port}"
    yield page
    httpd.shutdown()


@pytest.fixture
def browser(monkeypatch):
    # Playwright's sync API keeps an event loop on this thread; the ORM calls of the test are still synchronous.
    monkeypatch.setenv("DJANGO_ALLOW_ASYNC_UNSAFE", "1")
    if not Path("/usr/bin/chromium").exists():
        pytest.fail("Chromium is missing: `make browser-deps` installs it (make test does so first)")
    from playwright.sync_api import sync_playwright
    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(executable_path="/usr/bin/chromium", args=CHROMIUM_ARGS)
        context = chromium.new_context(viewport={"width": 375, "height": 740}, device_scale_factor=2,
                                       is_mobile=True, has_touch=True, locale="en-US")
        yield context
        context.close()
        chromium.close()


def embed(form_server, slug, **attributes):
    extra = "".join(f' data-{k}="{v}"' for k, v in attributes.items())
    return f'<script src="{form_server}/embed.js" data-form="{slug}"{extra} async></script>'


def label(frame, text):
    """The control whose <label> reads `text` (a required field's label ends with an aria-hidden "*")."""
    return frame.get_by_label(re.compile("^" + re.escape(text) + r"( \*)?$"))


def open_form(browser, url):
    page = browser.new_page()
    page.goto(url)
    page.wait_for_selector("iframe[data-ejn-form]")
    frame = page.frame_locator("iframe[data-ejn-form]")
    frame.locator("form").wait_for()
    return page, frame


def test_a_parent_signs_on_a_phone_through_the_partners_page(browser, form_server, partner_site, org_a, org_b):
    form = make_form(org_a, cosponsors=[(org_b, "recruited", "bravo")], goal=1000,
                     allowed_origins=[partner_site.origin])
    url = partner_site("petition.html", embed(form_server, form.slug)) + "?ref=bravo&utm_source=newsletter"
    page, frame = open_form(browser, url)
    inner = page.frames[1]
    assert inner.evaluate("document.documentElement.scrollWidth <= document.documentElement.clientWidth"), \
        "no sideways scrolling at 375 px"
    page.wait_for_function("document.querySelector('iframe[data-ejn-form]').style.height !== ''")
    frame_height = page.evaluate("document.querySelector('iframe[data-ejn-form]').getBoundingClientRect().height")
    assert abs(frame_height - inner.evaluate("document.body.getBoundingClientRect().height")) <= 2, "fits content"
    label(frame, "First name").fill("Maria")
    label(frame, "Last name").fill("Lopez")
    label(frame, "Email").fill("maria.lopez@example.org")
    label(frame, "ZIP code").fill("06106")
    frame.get_by_label(CONSENT_EMAIL).check()
    ARTIFACTS.mkdir(exist_ok=True)
    page.evaluate("window.scrollTo(0, 0)")
    page.screenshot(path=str(ARTIFACTS / "webforms-375-filled.png"), full_page=True)
    time.sleep(1.1)  # the minimum fill time of this server
    frame.get_by_role("button", name="Add your name").click()
    frame.get_by_text("Thanks for signing!").wait_for()
    page.wait_for_function("document.querySelector('iframe[data-ejn-form]').getBoundingClientRect().height < 400")
    page.screenshot(path=str(ARTIFACTS / "webforms-375-thank-you.png"), full_page=True)

    contact = Contact.objects.get()
    assert (contact.given_name, contact.family_name, contact.language) == ("Maria", "Lopez", "en")
    consent = Consent.objects.get(contact=contact, channel="email", organization=org_a)
    assert Consent.objects.filter(contact=contact, organization=org_b).exists(), "the recruiting co-sponsor too"
    assert consent.text == CONSENT_EMAIL and consent.ip_address == "127.0.0.1" and consent.source == "form"
    signature = FormAction.objects.get(kind="petition")
    assert signature.contact == contact and signature.recruited_by == org_b
    submission = Submission.objects.get()
    assert submission.utm_source == "newsletter" and submission.referrer_url.endswith("/petition.html")


def test_the_same_in_spanish_with_errors_announced(browser, form_server, partner_site, org_a):
    form = make_form(org_a, allowed_origins=[partner_site.origin])
    page, frame = open_form(browser, partner_site("es.html", embed(form_server, form.slug, lang="es")))
    label(frame, "Nombre").fill("Rosa")
    label(frame, "Apellido").fill("Martínez")
    label(frame, "Correo electrónico").fill("rosa@")
    label(frame, "Código postal").fill("06511")
    time.sleep(1.1)
    frame.get_by_role("button", name="Agregue su nombre").click()
    alert = frame.get_by_role("alert")
    alert.get_by_text("Revise los campos señalados.").wait_for()
    assert page.frames[1].evaluate("document.activeElement.id") == "error-summary", "focus moves to the errors"
    email = label(frame, "Correo electrónico")
    assert email.get_attribute("aria-invalid") == "true"
    assert "Escriba un correo electrónico válido" in frame.locator(f"#{email.get_attribute('aria-describedby')}").inner_text()
    email.fill("rosa@example.org")
    label(frame, "Envíenme novedades por correo.").check()
    time.sleep(1.1)
    frame.get_by_role("button", name="Agregue su nombre").click()
    frame.get_by_text("¡Gracias por firmar!").wait_for()
    page.screenshot(path=str(ARTIFACTS / "webforms-375-es.png"), full_page=True)
    contact = Contact.objects.get()
    assert contact.language == "es"
    assert Consent.objects.get(contact=contact).text == "Envíenme novedades por correo."


def test_keyboard_only(browser, form_server, partner_site, org_a):
    form = make_form(org_a, allowed_origins=[partner_site.origin])
    page, frame = open_form(browser, partner_site("kb.html", embed(form_server, form.slug)))
    inner = page.frames[1]
    for _ in range(15):  # Tab from the partner page into the iframe, to the first field
        page.keyboard.press("Tab")
        if inner.evaluate("document.activeElement && document.activeElement.id") == "id_given_name":
            break
    else:
        pytest.fail("the first field cannot be reached with Tab")
    for value in ("Jamal", "Carter", "jamal@example.org", ""):  # given, family, email, phone (optional)
        page.keyboard.type(value)
        page.keyboard.press("Tab")
    page.keyboard.type("06604")                                  # ZIP code
    visited = []
    for _ in range(6):
        page.keyboard.press("Tab")
        visited.append(inner.evaluate("document.activeElement.id || document.activeElement.tagName"))
        if visited[-1] == "id_consent_email":
            page.keyboard.press("Space")
        if visited[-1] == "BUTTON":
            break
    assert "id_website" not in visited, "the honeypot is never reached by keyboard"
    assert visited[-1] == "BUTTON", visited
    time.sleep(1.1)
    page.keyboard.press("Enter")
    frame.get_by_text("Thanks for signing!").wait_for()
    contact = Contact.objects.get()
    assert contact.given_name == "Jamal"
    assert Consent.objects.filter(contact=contact, channel="email", status="opt_in").exists()
    assert FormAction.objects.filter(contact=contact).count() == 1
