"""The events API: thin views over events.services (DESIGN.md section 7 shapes)."""
import uuid

from django.db.models import F, FloatField, Prefetch, Q, Sum
from django.db.models.functions import ACos, Cos, Coalesce, Least, Radians, Sin
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import extend_schema
from rest_framework import mixins, status
from rest_framework.decorators import action
from rest_framework.exceptions import NotFound, ParseError, PermissionDenied, ValidationError
from rest_framework.response import Response

from api.viewsets import TenantViewSet
from contacts.models import Contact
from contacts.normalize import zip_centroid
from contacts.services import contact_for_write
from organizations.models import ApiKey

from . import services, sharing
from .models import HOLDING, Event, Shift, Signup, SignupSource, visible_shift
from .serializers import (CheckInInput, EventInput, EventSerializer, ShiftInput, ShiftSerializer, SignupInput,
                          SignupSerializer, SignupStatusInput, event_view, shift_view, signup_input, signup_view)

EARTH_MILES = 3958.8


def shifts_with_counts():
    return Shift.objects.annotate(taken=Coalesce(Sum(F("signups__guests") + 1,
                                                     filter=Q(signups__status__in=HOLDING)), 0))


def events_for_display(queryset):
    return queryset.select_related("host").prefetch_related(
        "co_hosts__organization", Prefetch("shifts", queryset=shifts_with_counts()))


def filter_events(queryset, params):
    """The list filters: kind, host, co_host (slugs), status, visibility, starts_after, starts_before, near ZIP."""
    from django.utils.dateparse import parse_datetime
    for name in ("kind", "status", "visibility"):
        if params.get(name):
            queryset = queryset.filter(**{f"{name}__in": params[name].split(",")})
    if params.get("host"):
        queryset = queryset.filter(host__slug=params["host"])
    if params.get("co_host"):
        queryset = queryset.filter(co_hosts__organization__slug=params["co_host"])
    for name, lookup in (("starts_after", "starts_at__gte"), ("starts_before", "starts_at__lt")):
        if params.get(name):
            value = parse_datetime(params[name].replace(" ", "+"))
            if value is None:
                raise ValidationError({name: ["Use an ISO 8601 date-time, e.g. 2026-03-01T00:00:00-05:00."]})
            queryset = queryset.filter(**{lookup: value})
    if params.get("near"):
        centre = zip_centroid(params["near"])
        if centre is None:
            raise ValidationError({"near": [f"{params['near']!r} is not a known ZIP code."]})
        try:
            radius = float(params.get("radius_miles", 25))
        except ValueError:
            raise ValidationError({"radius_miles": ["A number of miles."]})
        lat, lon = centre
        # great-circle distance (spherical law of cosines), clamped against rounding above 1
        distance = EARTH_MILES * ACos(Least(1.0, Cos(Radians(lat)) * Cos(Radians("latitude")) *
                                            Cos(Radians("longitude") - Radians(lon)) +
                                            Sin(Radians(lat)) * Sin(Radians("latitude")), output_field=FloatField()))
        queryset = queryset.filter(latitude__isnull=False, longitude__isnull=False).annotate(
            distance_miles=distance).filter(distance_miles__lte=radius)
    return queryset.distinct() if params.get("co_host") else queryset


class EventViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, TenantViewSet):
    """Events hosted or co-hosted by the caller, and the coalition's published coalition and public events.
    Only the host changes an event; anyone who sees a published event can sign people up for it."""

    queryset = Event.objects.all()
    serializer_class = EventSerializer
    scope_family = "events"

    def get_queryset(self):
        queryset = events_for_display(super().get_queryset())
        return filter_events(queryset, self.request.query_params) if self.action == "list" else queryset

    def get_serializer_context(self):
        return {**super().get_serializer_context(), "view_kwargs": {"organization": self.organization}}

    def _event(self, pk, write=False, display=True) -> Event:
        queryset = Event.objects.writable_by(self.organization) if write else Event.objects.visible_to(self.organization)
        event = (events_for_display(queryset) if display else queryset).filter(pk=pk).first()
        if event is None:
            raise NotFound()
        return event

    @extend_schema(request=EventInput, responses={201: EventSerializer})
    def create(self, request):
        data = self._input(EventInput(data=request.data))
        event = services.event_create(organization=self.organization, data=data, actor=self.actor)
        return Response(event_view(self._event(event.pk), self.organization), status=status.HTTP_201_CREATED)

    @extend_schema(request=EventInput, responses=EventSerializer)
    def partial_update(self, request, pk=None):
        event = self._event(pk, write=True)
        data = self._input(EventInput(data=request.data, partial=True))
        services.event_update(event=event, data=data, actor=self.actor)
        return Response(event_view(self._event(pk), self.organization))

    def destroy(self, request, pk=None):
        event = self._event(pk, write=True)
        services.event_delete(event=event, actor=self.actor)
        return Response(status=status.HTTP_204_NO_CONTENT)

    @staticmethod
    def _input(serializer):
        serializer.is_valid(raise_exception=True)
        return serializer.validated_data

    @extend_schema(request=ShiftInput, responses=ShiftSerializer(many=True))
    @action(detail=True, methods=["get", "post"], url_path="shifts", url_name="shifts")
    def shifts(self, request, pk=None):
        if request.method == "GET":
            event = self._event(pk)
            insider = sharing.access(event, self.organization) is not None
            return Response([shift_view(s, event.timezone, private=insider) for s in event.shifts.all()])
        event = self._event(pk, write=True)
        shift = services.shift_create(event=event, data=self._input(ShiftInput(data=request.data)), actor=self.actor)
        return Response(shift_view(shift, event.timezone, private=True), status=status.HTTP_201_CREATED)

    @extend_schema(request=SignupInput, responses=SignupSerializer)
    @action(detail=True, methods=["get", "post"], url_path="signups", url_name="signups")
    def signups(self, request, pk=None):
        shift = self._event_shift(pk, request) if request.method == "POST" else None
        event = shift.event if shift is not None else self._event(pk, display=False)
        if request.method == "GET":
            queryset = sharing.full_signups(event, self.organization).select_related("contact", "recruited_by")
            if request.query_params.get("status"):
                queryset = queryset.filter(status__in=request.query_params["status"].split(","))
            page = self.paginate_queryset(queryset)
            return self.get_paginated_response([signup_view(s) for s in page])
        data = signup_input(request.data)
        result = services.signup_create(
            event=event, organization=self.organization, contact=self._contact(data.get("contact")),
            person=data.get("person"),
            shift=shift if shift is not None and shift.pk == data.get("shift") else self._shift(event, data.get("shift")),
            guests=data["guests"],
            source=data.get("source") or (SignupSource.API if isinstance(self.actor, ApiKey) else SignupSource.STAFF),
            referrer=data.get("referrer"), actor=self.actor,
            override_overlap=data["override_overlap"] and self._is_staff())
        return Response(signup_view(result.signup), status=201 if result.created else 200)

    @extend_schema(request=CheckInInput, responses=SignupSerializer)
    @action(detail=True, methods=["post"], url_path="check-in", url_name="check-in")
    def check_in(self, request, pk=None):
        event = self._event(pk)
        if not sharing.may_see_counts(event, self.organization):
            raise PermissionDenied("Only the host and co-hosts check people in.")
        data = self._input(CheckInInput(data=request.data))
        signup = None
        if "signup" in data:
            signup = Signup.objects.filter(event=event, pk=data["signup"]).visible_to(self.organization).first()
            if signup is None:
                raise NotFound("No such signup for this event.")
        contact = None
        if data.get("contact"):  # someone signed up for this event (by anyone) or a contact the caller may write
            signup_of = sharing.full_signups(event, self.organization).filter(contact_id=data["contact"]).first()
            contact = signup_of.contact if signup_of else self._contact(data["contact"])
        result = services.check_in(event=event, organization=self.organization, signup=signup, contact=contact, person=data.get("person"),
                                   shift=self._shift(event, data.get("shift")), actor=self.actor)
        return Response(signup_view(result.signup), status=201 if result.created else 200)

    @extend_schema(responses=OpenApiTypes.OBJECT)
    @action(detail=True, methods=["get"], url_path="attendance", url_name="attendance")
    def attendance(self, request, pk=None):
        event = self._event(pk)
        if not sharing.may_see_counts(event, self.organization):
            raise PermissionDenied("Only the host and co-hosts see the attendance of this event.")
        return Response(services.attendance_report(event))

    def _contact(self, contact_id):
        if contact_id is None:
            return None
        return contact_for_write(self.organization, contact_id)

    def _event_shift(self, pk, request):
        """The common signup (to a shift of a visible event) reads event and shift in one query; None sends
        every other case (no such shift or event, a malformed body or id) down the usual path and its errors."""
        try:
            shift_id = request.data.get("shift") if isinstance(request.data, dict) else None
            shift_id, event_id = uuid.UUID(shift_id) if isinstance(shift_id, str) else None, uuid.UUID(pk)
        except ParseError:  # DRF raises a parse error once only: keep the usual order (404 first, then 400)
            self._event(pk, display=False)
            raise
        except ValueError:
            shift_id = None
        if shift_id is None:
            return None
        return visible_shift(self.organization, event_id, shift_id)

    @staticmethod
    def _shift(event, shift_id):
        if shift_id is None:
            return None
        shift = Shift.objects.filter(event=event, pk=shift_id).first()
        if shift is None:
            raise ValidationError({"shift": ["No such shift in this event."]})
        return shift

    def _is_staff(self):
        return not isinstance(self.actor, ApiKey)


class ShiftViewSet(mixins.RetrieveModelMixin, TenantViewSet):
    """One shift: read it, change it or delete it (the host's)."""

    queryset = Shift.objects.all()
    serializer_class = ShiftSerializer
    scope_family = "events"

    def get_queryset(self):
        events = (Event.objects.visible_to(self.organization) if self.request.method in ("GET", "HEAD", "OPTIONS")
                  else Event.objects.writable_by(self.organization))
        return shifts_with_counts().filter(event__in=events).select_related("event")

    def list(self, request):
        page = self.paginate_queryset(self.get_queryset())
        return self.get_paginated_response([shift_view(s, s.event.timezone, private=False) for s in page])

    def retrieve(self, request, pk=None):
        shift = self.get_object()
        return Response(shift_view(shift, shift.event.timezone,
                                   private=sharing.access(shift.event, self.organization) is not None))

    @extend_schema(request=ShiftInput, responses=ShiftSerializer)
    def partial_update(self, request, pk=None):
        shift = self.get_object()
        serializer = ShiftInput(data=request.data, partial=True)
        serializer.is_valid(raise_exception=True)
        shift = services.shift_update(shift=shift, data=serializer.validated_data, actor=self.actor)
        return Response(shift_view(shifts_with_counts().get(pk=shift.pk), shift.event.timezone, private=True))

    def destroy(self, request, pk=None):
        services.shift_delete(shift=self.get_object(), actor=self.actor)
        return Response(status=status.HTTP_204_NO_CONTENT)


class SignupViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, TenantViewSet):
    """Signups the caller may see in full (events.sharing); PATCH changes the status."""

    queryset = Signup.objects.all()
    serializer_class = SignupSerializer
    scope_family = "events"

    def get_queryset(self):
        queryset = super().get_queryset().select_related("contact", "recruited_by")
        params = self.request.query_params
        for name in ("event", "contact", "shift"):
            if params.get(name):
                try:
                    queryset = queryset.filter(**{f"{name}_id": params[name]})
                except Exception:
                    raise ValidationError({name: ["Not a valid id."]})
        if params.get("status"):
            queryset = queryset.filter(status__in=params["status"].split(","))
        return queryset

    @extend_schema(request=SignupStatusInput, responses=SignupSerializer)
    def partial_update(self, request, pk=None):
        signup = self.get_object()
        serializer = SignupStatusInput(data=request.data)
        serializer.is_valid(raise_exception=True)
        data = serializer.validated_data
        signup = services.signup_set_status(signup=signup, status=data["status"], actor=self.actor,
                                            reason=data["reason"],
                                            override_overlap=data["override_overlap"] and
                                            not isinstance(self.actor, ApiKey))
        return Response(signup_view(Signup.objects.select_related("contact", "recruited_by").get(pk=signup.pk)))

    @extend_schema(responses=OpenApiTypes.OBJECT)
    @action(detail=False, methods=["get"], url_path="reliability", url_name="reliability")
    def reliability(self, request):
        contact_id = request.query_params.get("contact")
        try:
            contact = Contact.objects.visible_to(self.organization).filter(pk=contact_id).first() if contact_id else None
        except Exception:
            contact = None
        if contact is None:
            raise ValidationError({"contact": ["Give the id of a contact you can see."]})
        return Response(services.reliability(contact))
