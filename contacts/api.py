"""The contacts API (/api/v1/contacts/, /tags/, /possible-duplicates/, /merges/). Views are thin: validation in
contacts.inputs, writes in contacts.services / batch / merging / consent, every contact rendered by
contacts.sharing.contact_view (the one masking rule)."""
import base64

import django_filters
from django.db import transaction
from django.db.models import Exists, OuterRef, Q
from django.http import HttpResponse
from django.utils.dateparse import parse_datetime
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import mixins, serializers
from rest_framework.decorators import action
from rest_framework.exceptions import NotFound, ValidationError
from rest_framework.pagination import BasePagination
from rest_framework.parsers import JSONParser, MultiPartParser
from rest_framework.response import Response
from rest_framework.utils.urls import replace_query_param

from api.renderers import FAST_RENDERERS, FastJSONRenderer, released_after_render
from api.serializers import JobSerializer
from api.viewsets import ReadOnlyTenantViewSet, TenantViewSet
from jobs.services import job_enqueue
from organizations.errors import DomainError

from . import changes, imports, merging, readahead, services
from .consent import consent_record
from .inputs import ConsentInput, PersonInput, validate_people
from .models import (Consent, Contact, ContactAddress, ContactEmail, ContactMerge, ContactPhone, PossibleDuplicate,
                     Tag, Tagging)
from .sharing import consents_view, gc_paused, render_contacts

UUID_RE = r"[0-9a-fA-F]{8}-?[0-9a-fA-F]{4}-?[0-9a-fA-F]{4}-?[0-9a-fA-F]{4}-?[0-9a-fA-F]{12}"
MAX_BULK = 1000


class KeysetPagination(BasePagination):
    """Cursor pagination over (created_at, id): the cursor is the last row's key, so rows inserted or deleted
    while a client pages never make it skip or repeat one (a bulk write gives many rows one created_at)."""

    page_size, max_page_size = 100, 1000

    def paginate_queryset(self, queryset, request, view=None):
        self.request = request
        try:
            size = int(request.query_params.get("page_size", self.page_size))
        except ValueError:
            raise ValidationError({"page_size": ["must be an integer"]})
        size = max(1, min(self.max_page_size, size))
        cursor = request.query_params.get("cursor")
        if cursor:
            try:
                created, pk = base64.urlsafe_b64decode(cursor.encode()).decode().split("|")
                created = parse_datetime(created)
                assert created is not None
            except Exception:
                raise ValidationError({"cursor": ["invalid cursor"]})
            queryset = queryset.filter(Q(created_at__gt=created) | Q(created_at=created, id__gt=pk))
        rows = list(queryset.order_by("created_at", "id")[:size + 1])
        self.next = None
        if len(rows) > size:
            rows = rows[:size]
            last = rows[-1]
            token = base64.urlsafe_b64encode(f"{last.created_at.isoformat()}|{last.pk}".encode()).decode()
            self.next = replace_query_param(request.build_absolute_uri(), "cursor", token)
        return rows

    def get_paginated_response(self, data):
        return Response({"next": self.next, "previous": None, "results": data})

    def get_paginated_response_schema(self, schema):
        return {"type": "object", "properties": {"next": {"type": "string", "nullable": True},
                                                 "previous": {"type": "string", "nullable": True},
                                                 "results": schema}}


class ContactFilter(django_filters.FilterSet):
    modified_since = django_filters.IsoDateTimeFilter(field_name="modified_at", lookup_expr="gte")
    tag = django_filters.CharFilter(method="filter_tag")
    postal_code = django_filters.CharFilter(method="filter_postal_code")
    town = django_filters.CharFilter(method="filter_town")
    q = django_filters.CharFilter(method="filter_q")
    has_email = django_filters.BooleanFilter(method="filter_has_email")
    has_phone = django_filters.BooleanFilter(method="filter_has_phone")
    consent = django_filters.CharFilter(method="filter_consent",
                                        help_text="channel[:status], e.g. email or sms:opt_out (current state at "
                                                  "the caller's or the coalition scope)")

    class Meta:
        model = Contact
        fields = []

    @property
    def organization(self):
        from api.context import caller_organization
        return caller_organization(self.request)

    def filter_tag(self, queryset, name, value):
        tags = Tag.objects.visible_to(self.organization).filter(name=value)
        return queryset.filter(Exists(Tagging.objects.filter(contact=OuterRef("pk"), tag__in=tags)))

    def filter_postal_code(self, queryset, name, value):
        return queryset.filter(Exists(ContactAddress.objects.filter(contact=OuterRef("pk"),
                                                                    postal_code__startswith=value.strip())))

    def filter_town(self, queryset, name, value):
        return queryset.filter(Exists(ContactAddress.objects.filter(contact=OuterRef("pk"),
                                                                    city__iexact=value.strip())))

    def filter_q(self, queryset, name, value):
        value = value.strip()
        if "@" in value:
            return queryset.filter(Exists(ContactEmail.objects.filter(contact=OuterRef("pk"),
                                                                      normalized__iexact=value)))
        words = value.split()
        for word in words:
            queryset = queryset.filter(Q(given_name__icontains=word) | Q(family_name__icontains=word))
        return queryset

    def _values(self, model, queryset, value, channels):
        own = model.objects.filter(contact=OuterRef("pk"), supplied_by__contains=[self.organization.pk])
        shared = Q(coalition_shared=True) & Exists(model.objects.filter(contact=OuterRef("pk"))) & Exists(
            Consent.objects.filter(contact=OuterRef("pk"), scope="coalition", channel__in=channels,
                                   status="opt_in"))
        condition = Q(Exists(own)) | shared
        return queryset.filter(condition) if value else queryset.exclude(condition)

    def filter_has_email(self, queryset, name, value):
        return self._values(ContactEmail, queryset, value, ["email"])

    def filter_has_phone(self, queryset, name, value):
        return self._values(ContactPhone, queryset, value, ["sms", "call"])

    def filter_consent(self, queryset, name, value):
        channel, _, wanted = value.partition(":")
        wanted = wanted or "opt_in"
        if channel not in {"email", "sms", "call", "mail"} or wanted not in {"opt_in", "opt_out"}:
            raise ValidationError({"consent": ["use channel[:status], e.g. email or sms:opt_out"]})
        org = self.organization
        newer = Consent.objects.filter(contact=OuterRef("contact"), channel=OuterRef("channel"),
                                       scope=OuterRef("scope"), captured_at__gt=OuterRef("captured_at")).filter(
            Q(organization=OuterRef("organization")) | Q(organization__isnull=True, scope="coalition"))
        current = Consent.objects.filter(contact=OuterRef("pk"), channel=channel).filter(
            Q(scope="coalition") | Q(organization=org)).filter(~Exists(newer))
        opted_out = Exists(current.filter(status="opt_out"))
        if wanted == "opt_out":
            return queryset.filter(opted_out)
        return queryset.filter(Exists(current.filter(status="opt_in"))).exclude(opted_out)


def _person(data, patch=False):
    """PATCH validates every given value fully (nested defaults apply); only the 'at least a name, an email,
    ...' rule is for creation."""
    serializer = PersonInput(data=data, context={"patch": patch})
    if not serializer.is_valid():
        raise ValidationError(serializer.errors)
    return serializer.validated_data


def _render(contacts, organization):
    views = render_contacts(organization, [c.pk for c in contacts])
    return [views[c.pk] for c in contacts]


class MergeInput(serializers.Serializer):
    other = serializers.UUIDField(help_text="the contact merged into this one")


class TagChangeInput(serializers.Serializer):
    add = serializers.ListField(child=serializers.CharField(max_length=100), required=False, default=list)
    remove = serializers.ListField(child=serializers.CharField(max_length=100), required=False, default=list)


class EraseInput(serializers.Serializer):
    reason = serializers.CharField(max_length=200, required=False, allow_blank=True, default="")


class ImportInput(serializers.Serializer):
    file = serializers.FileField()
    mapping = serializers.JSONField(required=False, help_text='{"CSV header": "field"}, e.g. {"Zip": "zip"}')
    tags = serializers.ListField(child=serializers.CharField(max_length=100), required=False, default=list)


class ContactViewSet(TenantViewSet):
    """Contacts the caller may see: the ones it holds, and the ones people agreed to share with the coalition
    (masked: see contacts.sharing)."""

    queryset = Contact.objects.all()
    scope_family = "contacts"
    filterset_class = ContactFilter
    pagination_class = KeysetPagination
    lookup_value_regex = UUID_RE
    serializer_class = PersonInput

    def get_queryset(self):
        return Contact.objects.visible_to(self.organization)

    def _contact(self, pk, write=False) -> tuple[Contact, str | None]:
        """The live contact behind `pk` (following merges) that the caller may see/write; else 404."""
        contact = Contact.objects.filter(pk=pk, coalition_id=self.organization.coalition_id).first()
        if contact is None or contact.erased_at:
            raise NotFound()
        resolved_from = None
        if contact.merged_into_id:
            resolved_from = contact.pk
            contact = services.resolve(contact)
        allowed = Contact.objects.writable_by(self.organization) if write else Contact.objects.visible_to(
            self.organization)
        if not allowed.filter(pk=contact.pk).exists():
            raise NotFound()
        return contact, resolved_from

    def _view(self, contact):
        return render_contacts(self.organization, [contact.pk])[contact.pk]

    @extend_schema(parameters=[OpenApiParameter("cursor", str), OpenApiParameter("page_size", int)])
    def list(self, request):
        queryset = self.filter_queryset(self.get_queryset())
        page = self.paginate_queryset(queryset.only("pk", "created_at"))
        return self.get_paginated_response(_render(page, self.organization))

    def retrieve(self, request, pk=None):
        contact, resolved_from = self._contact(pk)
        body = self._view(contact)
        headers = {}
        if resolved_from:
            body["resolved_from"] = {"id": resolved_from, "merged_into": contact.pk}
            headers["Content-Location"] = f"/api/v1/contacts/{contact.pk}/"
        return Response(body, headers=headers)

    def _write_response(self, result):
        outcome = "created" if result.new_to_caller else result.outcome
        body = {"contact": self._view(result.contact),
                "match": {"outcome": outcome, "rule": None if result.new_to_caller else result.rule},
                "warnings": result.warnings,
                "possible_duplicates": sorted({str(d.pk) for d in result.possible_duplicates})}
        return Response(body, status=201 if outcome == "created" else 200,
                        headers={"X-Match-Rule": body["match"]["rule"] or "none"})

    def create(self, request):
        """Create-or-match: 201 with the new contact, or 200 with the contact it matched and the rule that
        applied (`match.rule`: external_id, email or phone; also in the X-Match-Rule header)."""
        person = _person(request.data)
        result = services.contact_upsert(organization=self.organization, person=person, source="api",
                                         actor=self.actor)
        return self._write_response(result)

    def update(self, request, pk=None):
        raise DomainError("method_not_allowed", "Use PATCH: values are added, never replaced wholesale.",
                          status=405)

    def partial_update(self, request, pk=None):
        contact, _ = self._contact(pk, write=True)
        person = _person(request.data, patch=True)
        result = services.contact_upsert(organization=self.organization, person=person, source="api",
                                         actor=self.actor, contact=contact)
        return self._write_response(result)

    def destroy(self, request, pk=None):
        """Remove the caller's link and everything private to it; the person stays for the other members."""
        contact, _ = self._contact(pk, write=True)
        services.contact_unlink(organization=self.organization, contact=contact, actor=self.actor)
        return Response(status=204)

    @extend_schema(request=PersonInput(many=True), responses={200: dict})
    @action(detail=False, methods=["post"], url_path="bulk", renderer_classes=FAST_RENDERERS)
    def bulk(self, request):
        """Upsert up to 1,000 records: `{"records": [contact, ...]}` (or a bare list). Each record gets a result
        `{index, status: created|updated|unchanged|error, id, match, errors}`; good records are stored even when
        others fail, and a failed record leaves nothing behind."""
        data = request.data
        # taken out of the request: a DRF Request sits in a reference cycle, so what it holds would wait for (and
        # be promoted through) the cyclic collector
        records = data.pop("records", None) if isinstance(data, dict) else data
        if not isinstance(records, list):
            raise ValidationError({"records": ["a list of contacts is required"]})
        if len(records) > MAX_BULK:
            raise ValidationError({"records": [f"at most {MAX_BULK} records per request (got {len(records)})"]})
        # a page is many small acyclic objects: built without the cyclic collector (it would run full collections
        # over the whole process meanwhile), and freed before the collector runs again
        with gc_paused():
            results = self._bulk_results(records)
            records.clear()
        summary = {}
        for row in results:
            summary[row["status"]] = summary.get(row["status"], 0) + 1
        return Response({"results": results, "summary": summary})

    def _bulk_results(self, records):
        people, errors = validate_people(records, prefix="records")
        good = sorted(people)
        outcomes = services.batch_upsert(organization=self.organization, people=[people[i] for i in good],
                                         source="api", actor=self.actor)
        results = [None] * len(records)
        for index, message in errors.items():
            results[index] = {"index": index, "status": "error", "id": None, "errors": message}
        for index, outcome in zip(good, outcomes):
            if isinstance(outcome, DomainError):
                results[index] = {"index": index, "status": "error", "id": None, "code": outcome.code,
                                  "errors": {f"records[{index}].{k}": v for k, v in outcome.fields.items()}
                                  or {f"records[{index}]": [outcome.message]}}
                continue
            status_ = "created" if outcome.new_to_caller else outcome.outcome
            results[index] = {"index": index, "status": status_, "id": str(outcome.contact.pk),
                              "match": None if outcome.new_to_caller else outcome.rule,
                              "warnings": outcome.warnings}
        return results

    @extend_schema(parameters=[OpenApiParameter("cursor", str), OpenApiParameter("page_size", int)])
    @action(detail=False, methods=["get"], url_path="changes", renderer_classes=FAST_RENDERERS)
    def changes(self, request):
        """The change feed, oldest first: `{"results": [{seq, kind, id, contact}], "next_cursor", "has_more"}`.
        Keep `next_cursor` and call again with `?cursor=` to follow it; start without a cursor."""
        try:
            after = int(request.query_params.get("cursor") or 0)
            size = int(request.query_params.get("page_size") or 500)
        except ValueError:
            raise ValidationError({"cursor": ["cursor and page_size are integers"]})
        if not isinstance(request.accepted_renderer, FastJSONRenderer) or "indent" in request.accepted_media_type:
            return released_after_render(Response(feed_data(self.organization, after, size)[0]))  # browsable API
        kept = readahead.kept_page(self.organization, after, size)
        if kept:
            (body, next_cursor), more = kept, True
        else:
            body, next_cursor, more = feed_body(self.organization, after, size)
        if more:
            readahead.read_ahead(self.organization, next_cursor, size, feed_body)
        return HttpResponse(body, content_type="application/json")

    @extend_schema(request=ConsentInput, responses={200: dict, 201: dict})
    @action(detail=True, methods=["get", "post"], url_path="consents")
    def consents(self, request, pk=None):
        """Consent history and current state (coalition scope, and the caller's own); POST records an event.
        An opt-in without the consent text over an opt-out is refused with 409 (opt-outs are sticky)."""
        contact, _ = self._contact(pk, write=request.method == "POST")
        if request.method == "POST":
            data = ConsentInput(data=request.data)
            data.is_valid(raise_exception=True)
            outcome = consent_record(contact=contact, recorded_by=self.organization, actor=self.actor,
                                     **data.validated_data)
            if outcome.ignored_reason.startswith("opt_out_is_sticky"):
                raise DomainError("opt_out_is_sticky", outcome.ignored_reason, field="text", status=409)
            body = consents_view(contact.pk, self.organization)
            return Response({**body, "recorded": outcome.ignored_reason == ""},
                            status=201 if not outcome.ignored_reason else 200)
        return Response(consents_view(contact.pk, self.organization))

    @extend_schema(request=MergeInput, responses={200: dict})
    @action(detail=True, methods=["post"], url_path="merge")
    def merge(self, request, pk=None):
        """Merge `other` into this contact: every related row of every app moves here; the old id stays
        resolvable; undo with POST /api/v1/merges/{merge id}/undo/."""
        survivor, _ = self._contact(pk, write=True)
        data = MergeInput(data=request.data)
        data.is_valid(raise_exception=True)
        other, _ = self._contact(data.validated_data["other"], write=True)
        record = merging.contacts_merge(organization=self.organization, survivor=survivor, merged=other,
                                        actor=self.actor)
        return Response({"merge": _merge_view(record), "contact": self._view(survivor)})

    @extend_schema(request=TagChangeInput, responses={200: dict})
    @action(detail=True, methods=["post"], url_path="tags")
    def tags(self, request, pk=None):
        """`{"add": [names], "remove": [names]}`: the caller's own tags (created on first use) or
        coalition-wide ones."""
        contact, _ = self._contact(pk, write=True)
        data = TagChangeInput(data=request.data)
        data.is_valid(raise_exception=True)
        services.tags_change(organization=self.organization, contact=contact, actor=self.actor,
                             **data.validated_data)
        return Response(self._view(contact))

    @extend_schema(request=EraseInput, responses={204: None})
    @action(detail=True, methods=["post"], url_path="erase")
    def erase(self, request, pk=None):
        """Coalition erasure (a data-deletion request): coalition admins only; only an audit record remains."""
        if services.is_coalition_admin(self.organization, self.actor):
            contact = Contact.objects.filter(pk=pk, coalition_id=self.organization.coalition_id).first()
            if contact is None:
                raise NotFound()
        else:
            contact, _ = self._contact(pk, write=True)
        data = EraseInput(data=request.data)
        data.is_valid(raise_exception=True)
        services.contact_erase(organization=self.organization, contact=contact, actor=self.actor,
                               reason=data.validated_data["reason"])
        return Response(status=204)

    @extend_schema(request={"multipart/form-data": ImportInput}, responses={202: JobSerializer})
    @action(detail=False, methods=["post"], url_path="imports", parser_classes=[MultiPartParser, JSONParser])
    def imports(self, request):
        """Start a CSV import (multipart: `file`, optional `mapping` JSON and `tags`); answers 202 with the job.
        Action Network and VAN headers are recognised; the job's file is the per-row error report."""
        data = ImportInput(data=request.data)
        data.is_valid(raise_exception=True)
        upload = data.validated_data["file"]
        mapping = data.validated_data.get("mapping") or {}
        if not isinstance(mapping, dict):
            raise ValidationError({"mapping": ["a JSON object {\"CSV header\": \"field\"}"]})
        content = upload.read()
        try:
            imports.check_header(content, mapping)
        except imports.ImportError_ as exc:
            raise DomainError("invalid_file", str(exc), field="file")
        with transaction.atomic():
            path = imports.store_upload(self.organization, content)
            job = job_enqueue(organization=self.organization, kind="contacts.import", actor=self.actor,
                              params={"path": path, "mapping": mapping, "tags": data.validated_data["tags"],
                                      "filename": upload.name[:200]})
        return Response(JobSerializer(job, context={"request": request}).data, status=202)

    @extend_schema(request=None, responses={202: JobSerializer})
    @action(detail=False, methods=["post"], url_path="exports")
    def exports(self, request):
        """Export the caller's visible contacts (masked as in the API) as CSV in a job; recorded in the audit log."""
        job = job_enqueue(organization=self.organization, kind="contacts.export", actor=self.actor)
        return Response(JobSerializer(job, context={"request": request}).data, status=202)


def _merge_view(record: ContactMerge) -> dict:
    return {"id": record.pk, "survivor": record.survivor_id, "merged": record.merged_id,
            "moved": {k: len(v) for k, v in record.moved.items()}, "actor": record.actor_label,
            "created_at": record.created_at, "undone_at": record.undone_at}


class ContactMergeViewSet(ReadOnlyTenantViewSet):
    """Merges the caller made; `POST /merges/{id}/undo/` reverses one from what it recorded."""

    queryset = ContactMerge.objects.all()
    scope_family = "contacts"
    lookup_value_regex = UUID_RE

    class _Serializer(serializers.Serializer):
        def to_representation(self, instance):
            return _merge_view(instance)

    serializer_class = _Serializer
    pagination_class = type("MergePagination", (KeysetPagination,), {})

    @extend_schema(request=None, responses={200: dict})
    @action(detail=True, methods=["post"], url_path="undo")
    def undo(self, request, pk=None):
        record = self.get_object()
        merging.merge_undo(organization=self.organization, merge=record, actor=self.actor)
        record.refresh_from_db()
        return Response(_merge_view(record))


class PossibleDuplicateViewSet(ReadOnlyTenantViewSet):
    """Weak matches raised by the caller's writes, for a person to review: merge them (POST
    /contacts/{id}/merge/) or dismiss them. `?status=open` (default), dismissed, merged or all."""

    queryset = PossibleDuplicate.objects.all()
    scope_family = "contacts"
    lookup_value_regex = UUID_RE
    pagination_class = KeysetPagination

    class _Serializer(serializers.Serializer):
        def to_representation(self, row):
            visible = self.context["visible"]
            return {"id": row.pk, "reasons": row.reasons, "status": row.status, "created_at": row.created_at,
                    "contact": visible.get(row.contact_id), "other": visible.get(row.other_id)}

    serializer_class = _Serializer

    def get_queryset(self):
        queryset = super().get_queryset()
        wanted = self.request.query_params.get("status", "open")
        return queryset if wanted == "all" or self.action != "list" else queryset.filter(status=wanted)

    def get_serializer_context(self):
        return {**super().get_serializer_context(), "organization": self.organization, "visible": self._visible}

    def _prepare(self, rows):
        ids = {r.contact_id for r in rows} | {r.other_id for r in rows}
        visible = Contact.objects.visible_to(self.organization).filter(pk__in=ids).values_list("pk", flat=True)
        self._visible = render_contacts(self.organization, visible)

    def list(self, request):
        page = self.paginate_queryset(self.filter_queryset(self.get_queryset()))
        self._prepare(page)
        return self.get_paginated_response(self.get_serializer(page, many=True).data)

    def retrieve(self, request, pk=None):
        row = self.get_object()
        self._prepare([row])
        return Response(self.get_serializer(row).data)

    @extend_schema(request=None, responses={200: dict})
    @action(detail=True, methods=["post"], url_path="dismiss")
    def dismiss(self, request, pk=None):
        row = self.get_object()
        row.status = "dismissed"
        row.save(update_fields=["status"])
        self._prepare([row])
        return Response(self.get_serializer(row).data)


class TagInput(serializers.Serializer):
    name = serializers.CharField(max_length=100)
    coalition_wide = serializers.BooleanField(default=False)


class TagViewSet(mixins.CreateModelMixin, mixins.ListModelMixin, mixins.RetrieveModelMixin,
                 mixins.UpdateModelMixin, mixins.DestroyModelMixin, TenantViewSet):
    """Tags: the caller's own (private) and coalition-wide ones. Only coalition admins create, rename or
    delete coalition-wide tags."""

    queryset = Tag.objects.all()
    scope_family = "contacts"
    lookup_value_regex = UUID_RE
    pagination_class = None

    class _Serializer(serializers.ModelSerializer):
        coalition_wide = serializers.SerializerMethodField()

        class Meta:
            model = Tag
            fields = ["id", "name", "coalition_wide", "created_at"]

        def get_coalition_wide(self, tag) -> bool:
            return tag.organization_id is None

    serializer_class = _Serializer

    def get_queryset(self):
        if self.request.method in ("GET", "HEAD", "OPTIONS"):
            return Tag.objects.visible_to(self.organization).order_by("name")
        if services.is_coalition_admin(self.organization, self.actor):
            return Tag.objects.visible_to(self.organization)
        return Tag.objects.writable_by(self.organization)

    def create(self, request):
        data = TagInput(data=request.data)
        data.is_valid(raise_exception=True)
        wide = data.validated_data["coalition_wide"]
        if wide and not services.is_coalition_admin(self.organization, self.actor):
            raise DomainError("permission_denied", "Only coalition admins create coalition-wide tags.",
                              field="coalition_wide", status=403)
        name = data.validated_data["name"].strip()
        owner = None if wide else self.organization
        if Tag.objects.filter(coalition_id=self.organization.coalition_id, organization=owner, name=name).exists():
            raise DomainError("conflict", f"A tag named {name!r} exists already.", field="name", status=409)
        tag = Tag.objects.create(coalition_id=self.organization.coalition_id, organization=owner, name=name)
        return Response(self.get_serializer(tag).data, status=201)

    def update(self, request, pk=None, partial=False):
        tag = self.get_object()
        data = TagInput(data={**request.data, "coalition_wide": tag.organization_id is None})
        data.is_valid(raise_exception=True)
        name = data.validated_data["name"].strip()
        if Tag.objects.filter(coalition_id=tag.coalition_id, organization=tag.organization, name=name).exclude(
                pk=tag.pk).exists():
            raise DomainError("conflict", f"A tag named {name!r} exists already.", field="name", status=409)
        with transaction.atomic():
            tag.name = name
            tag.save(update_fields=["name"])
            services.tag_touch_contacts(tag)
        return Response(self.get_serializer(tag).data)

    def destroy(self, request, pk=None):
        tag = self.get_object()
        with transaction.atomic():
            services.tag_touch_contacts(tag)
            tag.delete()
        return Response(status=204)


def feed_data(organization, after: int, size: int) -> tuple[dict, int, bool]:
    """The change feed's page after `after` as the API's response data, with its next cursor and has_more."""
    events, next_cursor, more = changes.feed_page(organization, after, size)
    return {"results": events, "next_cursor": str(next_cursor), "has_more": more}, next_cursor, more


def feed_body(organization, after: int, size: int) -> tuple[bytes, int, bool]:
    """feed_data rendered as the JSON body the API sends."""
    data, next_cursor, more = feed_data(organization, after, size)
    return FastJSONRenderer().render(data), next_cursor, more
