"""Staff API: /api/v1/forms/ (CRUD by slug) and /api/v1/forms/{slug}/submissions/ for the entitled members."""
import pytest

from organizations.models import AuditEvent
from tests.support import client_for
from webforms.models import Form
from webforms.services import submission_receive

from .factories import make_form, signer

pytestmark = pytest.mark.django_db

BODY = {
    "slug": "add-your-name", "kind": "petition", "title": "Add your name",
    "introduction": "Close the **$713 million** gap. <script>alert(1)</script> [read](javascript:alert(1)) "
                    "[report](https://schoolstatefinance.org)",
    "email_consent": "optional", "email_consent_text": "Email me updates.",
    "coalition_consent": "required", "coalition_consent_text": "Share my details with the coalition.",
    "questions": [{"key": "role", "type": "choice", "label": "I am a", "label_es": "Soy",
                   "choices": [{"value": "parent", "label": "Parent", "label_es": "Madre/padre"},
                               {"value": "student", "label": "Student"}]}],
    "allowed_origins": ["https://conncan.example"], "goal": 5000,
}


def test_create_read_update_delete_by_slug(org_a, org_b, client_a):
    body = {**BODY, "cosponsors": [{"organization": org_b.slug, "sharing": "recruited", "ref": "bravo"}]}
    response = client_a.post("/api/v1/forms/", body, format="json")
    assert response.status_code == 201, response.content
    data = response.json()
    assert data["owner"] == org_a.slug and data["cosponsors"] == [
        {"organization": "bravo", "sharing": "recruited", "ref": "bravo"}]
    html = data["introduction_html"]
    assert "<strong>$713 million</strong>" in html and "<script" not in html and 'href="javascript' not in html
    assert '<a href="https://schoolstatefinance.org" target="_blank" rel="noopener noreferrer nofollow">' in html
    assert data["embed"]["snippet"] == ('<script src="http://testserver/embed.js" data-form="add-your-name" '
                                        'async></script>')
    assert data["sharing_statement"].startswith(f"Your details go to {org_a.name}")
    assert client_a.get("/api/v1/forms/add-your-name/").json()["title"] == "Add your name"
    patched = client_a.patch("/api/v1/forms/add-your-name/", {"title": "Sign now", "cosponsors": []}, format="json")
    assert patched.status_code == 200 and patched.json()["cosponsors"] == []
    assert client_a.delete("/api/v1/forms/add-your-name/").status_code == 204
    assert not Form.objects.exists()
    verbs = set(AuditEvent.objects.values_list("verb", flat=True))
    assert {"form.created", "form.updated", "form.deleted"} <= verbs


def test_bad_bodies_get_field_errors(client_a):
    cases = [({**BODY, "email_consent_text": ""}, "email_consent_text"),
             ({**BODY, "allowed_origins": ["conncan.example/page"]}, "allowed_origins"),
             ({**BODY, "standard_fields": {"shoe_size": "required"}}, "standard_fields"),
             ({**BODY, "questions": [{"key": "Bad Key", "type": "text", "label": "x"}]}, "questions[0].key"),
             ({**BODY, "kind": "event_rsvp"}, "event"),
             ({**BODY, "cosponsors": [{"organization": "nope"}]}, "cosponsors[0].organization")]
    for body, field in cases:
        response = client_a.post("/api/v1/forms/", body, format="json")
        assert response.status_code == 400, (field, response.content)
        assert field in response.json()["error"]["fields"], (field, response.json())
    client_a.post("/api/v1/forms/", BODY, format="json")
    taken = client_a.post("/api/v1/forms/", BODY, format="json")
    assert taken.status_code == 400 and "slug" in taken.json()["error"]["fields"]  # slugs are public URLs


def test_scopes_are_checked(org_a):
    reader = client_for(org_a, scopes=["forms:read"])
    assert reader.get("/api/v1/forms/").status_code == 200
    assert reader.post("/api/v1/forms/", BODY, format="json").status_code == 403
    assert client_for(org_a, scopes=["contacts:read"]).get("/api/v1/forms/").status_code == 403


def test_cosponsors_see_the_form_but_only_the_owner_changes_it(make_org, org_a):
    cosponsor = make_org("cosp")
    form = make_form(org_a, cosponsors=[(cosponsor, "none", "cosp")])
    client = client_for(cosponsor)
    assert client.get(f"/api/v1/forms/{form.slug}/").status_code == 200
    assert client.patch(f"/api/v1/forms/{form.slug}/", {"title": "x"}, format="json").status_code == 404
    assert client.delete(f"/api/v1/forms/{form.slug}/").status_code == 404


def test_submissions_are_listed_per_sharing_mode(make_org, org_a):
    everyone, recruiter, silent = make_org("everyone"), make_org("recruiter"), make_org("silent")
    form = make_form(org_a, cosponsors=[(everyone, "all", "ev"), (recruiter, "recruited", "rc"),
                                        (silent, "none", "si")])
    submission_receive(form=form, data=signer(form, email="a@example.org", utm_campaign="spring"), ip="203.0.113.1")
    submission_receive(form=form, data=signer(form, email="b@example.org", given_name="Ben", ref="rc"),
                       ip="203.0.113.1")
    url = f"/api/v1/forms/{form.slug}/submissions/"

    def listed(org):
        response = client_for(org).get(url)
        assert response.status_code == 200, response.content
        return response.json()["results"]
    owner_view = listed(org_a)
    assert len(owner_view) == 2
    spring = next(s for s in owner_view if s["referrer"]["utm_campaign"] == "spring")
    assert spring["recruited_by"] == org_a.slug and spring["outcome"] == "recorded"
    assert len(listed(everyone)) == 2
    recruited = listed(recruiter)
    assert len(recruited) == 1 and recruited[0]["recruited_by"] == "recruiter"
    assert listed(silent) == []
    stranger = make_org("stranger")
    assert client_for(stranger).get(url).status_code == 404


def test_the_admin_shows_forms_and_submissions_by_the_same_rules(make_org, org_a):
    from django.contrib.auth.models import User
    from django.test import Client

    from organizations.models import Membership
    cosponsor, outsider = make_org("cosp"), make_org("outsider")
    form = make_form(org_a, title="Alpha petition", cosponsors=[(cosponsor, "none", "cosp")])
    submission_receive(form=form, data=signer(form), ip="203.0.113.1")

    def admin_client(org):
        user = User.objects.create_user(username=f"{org.slug}-admin", password="x-pw-123456", is_staff=True)
        Membership.objects.create(user=user, organization=org, role="admin")
        client = Client()
        client.force_login(user)
        return client
    owner, co, out = admin_client(org_a), admin_client(cosponsor), admin_client(outsider)
    assert "Alpha petition" in owner.get("/admin/webforms/form/").content.decode()
    assert "Alpha petition" in co.get("/admin/webforms/form/").content.decode()
    assert "Alpha petition" not in out.get("/admin/webforms/form/").content.decode()
    assert "Maria Lopez" in owner.get("/admin/webforms/submission/").content.decode()
    assert "Maria Lopez" not in co.get("/admin/webforms/submission/").content.decode(), "sharing none"
