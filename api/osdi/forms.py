"""OSDI petitions and signatures, forms and submissions over the webforms app.

A webforms Form of kind `petition` is an OSDI petition (its signatures are its recorded submissions, one per
person); every other kind is an OSDI form (its submissions, all of them). Forms are read through
Form.objects.visible_to (owner and co-sponsors), submissions through Submission.objects.visible_to (the
co-sponsor sharing modes). The record-signature and record-submission helpers run webforms'
one submission pipeline (`submission_receive`: open/closed, the form's required fields and questions, matching
through contact_upsert, co-sponsor distribution, attribution, outbox), credited to the caller (its referral code
when it is a co-sponsor). The caller is an authenticated key, not a browser, so the adapter issues the form token
itself. OSDI email / phone statuses are never turned into ticks of the form's consent boxes (the person did not
see that wording); they are recorded as the caller's organization-scope consents, under the sticky rule.
"""
import time

from django.urls import reverse
from rest_framework.response import Response

from contacts.models import Contact
from contacts.services import contact_for_write, contact_upsert
from contacts.sharing import render_contacts
from organizations.errors import DomainError
from webforms.conf import setting
from webforms.models import Form, Kind, Submission
from webforms.services import submission_receive
from webforms.tokens import token_issue

from . import filters
from .pagination import paginate
from .serializers import href, identifiers, osdi_date, person_input
from .services import id_from_href
from .views import OsdiView, as_uuid, not_found, osdi_schema, person_href

#: (collection, item kind, OSDI name of one item, its link relation)
PETITIONS = ("petitions", "signatures", "osdi:petition", "osdi:record_signature_helper")
FORMS = ("forms", "submissions", "osdi:form", "osdi:record_submission_helper")


def form_record(request, form, spec) -> dict:
    collection, items, _, helper = spec
    base = f"{collection}/{form.pk}"
    record = {
        "identifiers": identifiers(form.pk),
        "created_date": osdi_date(form.created_at),
        "modified_date": osdi_date(form.modified_at),
        "title": form.title, "name": form.slug, "description": form.introduction,
        "form_kind": form.kind,
        "browser_url": request.build_absolute_uri(reverse("webforms-embed", args=[form.slug])),
        f"total_{items}": getattr(form, "total", None),
        "_links": {"self": {"href": href(request, base)},
                   f"osdi:{items}": {"href": href(request, f"{base}/{items}")},
                   helper: {"href": href(request, f"{base}/{items}")}},
    }
    if spec is PETITIONS:
        record["petition_text"] = form.introduction
        if form.goal:
            record["target"] = [{"name": f"{form.goal} signatures"}]
    return record


def submission_record(request, submission, spec) -> dict:
    collection, items, relation, _ = spec
    links = {"self": {"href": href(request, f"{collection}/{submission.form_id}/{items}/{submission.pk}")},
             relation: {"href": href(request, f"{collection}/{submission.form_id}")}}
    if submission.contact_id:
        links["osdi:person"] = {"href": href(request, f"people/{submission.contact_id}")}
    return {
        "identifiers": identifiers(submission.pk),
        "created_date": osdi_date(submission.created_at),
        "modified_date": osdi_date(submission.created_at),
        "referrer_data": {"source": submission.utm_source or submission.ref, "website": submission.referrer_url},
        "recruited_by": submission.recruited_by.slug,
        "_links": links,
    }


def _form_data(person: dict, view: dict | None) -> dict:
    """The webforms field names, from a validated person (or, for a linked person, what the caller sees)."""
    if view is not None:
        emails, phones, addresses = view["emails"], view["phones"], view["addresses"]
        names = view
    else:
        emails = person.get("emails", [])
        phones = [{"number": p["number"]} for p in person.get("phones", [])]
        addresses = [vars_of(a["address"]) for a in person.get("addresses", [])]
        names = person
    data = {"given_name": names.get("given_name", ""), "family_name": names.get("family_name", "")}
    if emails:
        data["email"] = next((e for e in emails if e.get("primary")), emails[0])["address"]
    if phones:
        data["phone"] = phones[0]["number"]
    if addresses:
        a = addresses[0]
        data.update(address_line1=a.get("line1", ""), address_line2=a.get("line2", ""), city=a.get("city", ""),
                    state=a.get("state", ""), postal_code=a.get("postal_code", ""))
    return data


FORM_FIELDS = {"given_name": "person.given_name", "family_name": "person.family_name",
               "email": "person.email_addresses", "phone": "person.phone_numbers",
               "consent_email": "person.email_addresses", "consent_sms": "person.phone_numbers"}


def _osdi_field(name: str, linked: bool) -> str:
    """A webforms field name as the OSDI client knows it (a linked person's details are on its record)."""
    if name.startswith(("answers", "consent_coalition")):
        return name
    if linked:
        return "_links.osdi:person.href"
    return FORM_FIELDS.get(name, "person.postal_addresses")


def vars_of(address) -> dict:
    return {name: getattr(address, name, "") or "" for name in ("line1", "line2", "city", "state", "postal_code")}


class FormsBase(OsdiView):
    scope_family = "forms"
    spec = FORMS

    def forms(self):
        queryset = Form.objects.visible_to(self.organization)
        return (queryset.filter(kind=Kind.PETITION) if self.spec is PETITIONS
                else queryset.exclude(kind=Kind.PETITION))

    def form(self, pk) -> Form:
        form = self.forms().filter(pk=as_uuid(pk)).select_related("organization").prefetch_related(
            "cosponsors__organization").first()
        if form is None:
            raise not_found()
        return form

    def submissions(self):
        queryset = Submission.objects.visible_to(self.organization).filter(form__in=self.forms())
        if self.spec is PETITIONS:
            queryset = queryset.filter(outcome="recorded")  # one signature per person and petition
        return queryset.select_related("recruited_by").order_by("created_at", "id")

    def render_forms(self, rows):
        counts = {}
        for form_id in self.submissions().filter(form__in=[f.pk for f in rows]).values_list("form_id", flat=True):
            counts[form_id] = counts.get(form_id, 0) + 1
        for form in rows:
            form.total = counts.get(form.pk, 0)
        return [form_record(self.request, f, self.spec) for f in rows]

    def render_submissions(self, rows):
        return [submission_record(self.request, s, self.spec) for s in rows]


class FormsView(FormsBase):
    def list(self, request):
        queryset = filters.filter_dates(request, self.forms()).order_by("created_at", "id")
        return Response(paginate(request, queryset, kind=self.spec[0], render=self.render_forms))


class FormView(FormsBase):
    def one(self, request, pk):
        return Response(self.render_forms([self.form(pk)])[0])


class SubmissionsView(FormsBase):
    def list(self, request, pk):
        queryset = filters.filter_dates(request, self.submissions().filter(form=self.form(pk)),
                                        modified="created_at")
        return Response(paginate(request, queryset, kind=self.spec[1], render=self.render_submissions))

    def record(self, request, pk):
        """{"person": {...}} (matched or created) or {"_links": {"osdi:person": {"href"}}}; optional
        `referrer_data` {"source", "website"} and extension `answers` {question key: value}."""
        form = self.form(pk)
        body = self.body()
        if "person" in body:
            person, view = person_input(body["person"], prefix="person."), None
        else:
            contact = contact_for_write(self.organization, id_from_href(person_href(body)))
            person = None
            view = render_contacts(self.organization, [contact.pk])[contact.pk]
            if not (view["emails"] or view["phones"]):
                raise DomainError("validation_error", "This person has no email or phone you can see to sign "
                                  "with; send the `person` instead.", field="_links.osdi:person.href")
        data = _form_data(person, view)
        referrer = body.get("referrer_data") if isinstance(body.get("referrer_data"), dict) else {}
        cosponsor = next((c for c in form.cosponsors.all() if c.organization_id == self.organization.pk), None)
        data.update(answers=body.get("answers") or {}, ref=cosponsor.ref if cosponsor else "",
                    utm_source=referrer.get("source") or "", referrer=referrer.get("website") or "",
                    token=token_issue(form, issued_at=time.time() - setting("FORMS_MIN_FILL_SECONDS") - 1))
        try:
            receipt = submission_receive(form=form, data=data, user_agent=f"OSDI API ({self.actor})"[:300])
        except DomainError as exc:
            exc.fields = {_osdi_field(name, person is None): messages for name, messages in exc.fields.items()}
            raise
        submission = receipt.submission
        # Only a caller the form's sharing gave the person to holds it now; a co-sponsor sharing "none" records
        # the action without receiving the person, and its statuses are not recorded on someone it cannot see.
        held = Contact.objects.held_by(self.organization).filter(pk=submission.contact_id).exists()
        if held and person and person.get("consents"):
            contact_upsert(organization=self.organization, person={"consents": person["consents"]},
                           actor=self.actor, contact=submission.contact)
        if receipt.outcome == "already_recorded" and self.spec is PETITIONS:
            submission = (Submission.objects.filter(form=form, contact=submission.contact, outcome="recorded")
                          .first() or submission)
        submission = Submission.objects.select_related("recruited_by").get(pk=submission.pk)
        record = submission_record(request, submission, self.spec)
        if not self.people().filter(pk=submission.contact_id).exists():
            record["_links"].pop("osdi:person", None)
        return Response(record, status=201 if receipt.outcome == "recorded" else 200)


class SubmissionView(FormsBase):
    def one(self, request, pk, item_pk):
        submission = self.submissions().filter(form=self.form(pk), pk=as_uuid(item_pk)).first()
        if submission is None:
            raise not_found()
        return Response(submission_record(request, submission, self.spec))


class PersonSubmissionsView(FormsBase):
    def list(self, request, pk):
        queryset = filters.filter_dates(request, self.submissions().filter(contact=self.person(pk)),
                                        modified="created_at")
        return Response(paginate(request, queryset, kind=self.spec[1], render=self.render_submissions))


def _bind(base, spec, name, methods):
    """A view class for `spec` whose HTTP methods call `base`'s handlers, each with its own OpenAPI entry."""
    attrs = {"spec": spec}
    for http, (handler, summary, options) in methods.items():
        func = getattr(base, handler)

        def method(self, request, *args, _func=func, **kwargs):
            return _func(self, request, *args, **kwargs)
        attrs[http] = osdi_schema(f"{name}_{http}", summary, **options)(method)
    return type(f"{name.title().replace('_', '')}View", (base,), attrs)


def urls():
    from django.urls import re_path
    patterns = []
    for spec in (PETITIONS, FORMS):
        collection, items, _, _ = spec
        one = collection[:-1]
        views = [
            (rf"^{collection}/?$", FormsView, collection, {"get": ("list", f"List {collection}", {"listing": True})}),
            (rf"^{collection}/(?P<pk>[^/]+)/?$", FormView, one, {"get": ("one", f"One {one}", {})}),
            (rf"^{collection}/(?P<pk>[^/]+)/{items}/?$", SubmissionsView, f"{one}_{items}", {
                "get": ("list", f"A {one}'s {items}", {"listing": True}),
                "post": ("record", f"Record {items[:-1]} helper: `person` or `_links.osdi:person`", {"body": True})}),
            (rf"^{collection}/(?P<pk>[^/]+)/{items}/(?P<item_pk>[^/]+)/?$", SubmissionView, items[:-1],
             {"get": ("one", f"One {items[:-1]}", {})}),
            (rf"^people/(?P<pk>[^/]+)/{items}/?$", PersonSubmissionsView, f"person_{items}",
             {"get": ("list", f"A person's {items}", {"listing": True})}),
        ]
        patterns += [re_path(regex, _bind(base, spec, name, methods).as_view(), name=name)
                     for regex, base, name, methods in views]
    return patterns

