"""The door: a staff check-in page for one event (Django session login, plain HTML, a little vanilla JS).

Works without JavaScript (each button is a form POST answered with a redirect); with JavaScript the same forms
are sent with fetch and the row updates in place. Lists only the signups the staff member's organization may
see in full (events.sharing), so door volunteers of a `totals` co-host see only their own people.
"""
from urllib.parse import urlencode

from django.contrib.auth.decorators import login_required
from django.db.models import Q
from django.http import Http404, JsonResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.http import require_http_methods

from contacts.inputs import PersonInput
from organizations.errors import DomainError
from organizations.models import Membership

from . import services, sharing
from .models import Event
from .serializers import signup_view

LOGIN_URL = "/admin/login/"


def _door(request, event_id):
    """(event, organization) for a staff member of the host or a co-host; 404 otherwise."""
    event = Event.objects.select_related("host").filter(pk=event_id).first()
    if event is None:
        raise Http404
    if request.user.is_superuser:
        return event, event.host
    orgs = [m.organization for m in Membership.objects.filter(user=request.user).select_related("organization")]
    ranked = sorted((o for o in orgs if sharing.access(event, o) is not None), key=lambda o: o.pk != event.host_id)
    if not ranked:
        raise Http404
    return event, ranked[0]


def _wants_json(request):
    return "application/json" in request.headers.get("Accept", "")


@login_required(login_url=LOGIN_URL)
@require_http_methods(["GET", "POST"])
def check_in_page(request, event_id):
    event, organization = _door(request, event_id)
    if request.method == "POST":
        return _post(request, event, organization)
    query = request.GET.get("q", "").strip()
    signups = sharing.full_signups(event, organization).select_related("contact", "shift", "recruited_by")
    if query:
        for word in query.split()[:5]:
            signups = signups.filter(Q(contact__given_name__icontains=word) | Q(contact__family_name__icontains=word) |
                                     Q(contact__emails__normalized__icontains=word) |
                                     Q(contact__phones__number__icontains=word))
        signups = signups.distinct()
    signups = signups.order_by("contact__family_name", "contact__given_name")[:500]
    report = services.attendance_report(event)
    return render(request, "events/check_in.html", {
        "event": event, "organization": organization, "signups": signups, "query": query,
        "attended": report["by_status"]["attended"], "expected": report["places_taken"],
        "notice": request.GET.get("notice", ""), "error": request.GET.get("error", ""),
        "shifts": event.shifts.all()})


def _post(request, event, organization):
    try:
        if request.POST.get("action") == "walk_in":
            person = {"given_name": request.POST.get("given_name", "").strip(),
                      "family_name": request.POST.get("family_name", "").strip()}
            if request.POST.get("email", "").strip():
                person["emails"] = [{"address": request.POST["email"].strip(), "primary": True}]
            if request.POST.get("phone", "").strip():
                person["phones"] = [{"number": request.POST["phone"].strip()}]
            serializer = PersonInput(data=person)
            if not serializer.is_valid():
                raise DomainError("invalid_person", "; ".join(
                    f"{k}: {v[0] if isinstance(v, list) else v}" for k, v in serializer.errors.items()))
            shift = event.shifts.filter(pk=request.POST["shift"]).first() if request.POST.get("shift") else None
            result = services.check_in(event=event, organization=organization, person=serializer.validated_data,
                                       shift=shift, actor=request.user)
        else:
            signup = sharing.full_signups(event, organization).filter(pk=request.POST.get("signup") or None).first() \
                if _is_uuid(request.POST.get("signup")) else None
            if signup is None:
                raise DomainError("not_found", "That signup is not on this list.", status=404)
            result = services.check_in(event=event, organization=organization, signup=signup, actor=request.user)
    except DomainError as exc:
        if _wants_json(request):
            return JsonResponse({"error": {"code": exc.code, "message": exc.message}}, status=exc.status)
        return redirect(f"{reverse('event-check-in-page', args=[event.pk])}?{urlencode({'error': exc.message})}")
    name = str(result.signup.contact)
    if _wants_json(request):
        return JsonResponse({**signup_view(result.signup), "notice": f"{name} is checked in."},
                            status=201 if result.created else 200)
    return redirect(f"{reverse('event-check-in-page', args=[event.pk])}?"
                    f"{urlencode({'notice': f'{name} is checked in.'})}")


def _is_uuid(value):
    import uuid
    try:
        uuid.UUID(str(value))
        return True
    except ValueError:
        return False
