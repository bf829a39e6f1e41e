"""The HTTP surface of turf: serializers and viewsets (registered in api/urls.py). Views are thin: validation
here, rules in turfs.services, reads in turfs.selectors."""
from django.http import HttpResponse
from drf_spectacular.utils import extend_schema
from rest_framework import mixins, serializers
from rest_framework.decorators import action
from rest_framework.response import Response

from api.serializers import JobSerializer
from api.viewsets import TenantViewSet
from organizations.services import audit_record

from . import services
from .exports import call_list_csv, walk_list_csv, walk_sheet_pdf
from .models import RESULT_CODES, CallList, CanvassResult, Turf, TurfCut, TurfStop
from .selectors import stop_people, stops_of

BIG_STAT_LISTS = ("excluded", "approximate", "unparsed")


# ------------------------------------------------------------------------------------------------ serializers

class SurveyQuestionSerializer(serializers.Serializer):
    key = serializers.SlugField(max_length=40)
    question = serializers.CharField(max_length=300)
    choices = serializers.ListField(child=serializers.CharField(max_length=60), required=False, max_length=10)


class TurfCutCreateSerializer(serializers.Serializer):
    name = serializers.CharField(max_length=200, required=False, allow_blank=True, default="")
    segment = serializers.JSONField(help_text="filters: tags, towns, zips, contacts (ids), consent (a channel)")
    target = serializers.JSONField(required=False, default=50, help_text="doors per turf, 5-500")
    keep_buildings_whole = serializers.BooleanField(required=False, default=True)
    exclude_do_not_contact = serializers.BooleanField(required=False, default=True)
    survey = SurveyQuestionSerializer(many=True, required=False, default=list)

    def validate_survey(self, survey):
        keys = [q["key"] for q in survey]
        if len(keys) != len(set(keys)):
            raise serializers.ValidationError("survey question keys must be unique")
        return survey


class TurfSummarySerializer(serializers.ModelSerializer):
    progress = serializers.IntegerField(read_only=True)
    shift_event = serializers.UUIDField(source="shift.event_id", default=None, read_only=True,
                                        help_text="the event of the shift")

    class Meta:
        model = Turf
        fields = ["id", "cut", "number", "doors", "people", "distance_m", "remainder", "latitude", "longitude",
                  "volunteer", "shift", "shift_event", "doors_done", "progress", "created_at"]


class TurfCutSerializer(serializers.ModelSerializer):
    status = serializers.CharField(source="job.status", default=None, read_only=True)
    progress = serializers.IntegerField(source="job.progress", default=None, read_only=True)
    message = serializers.CharField(source="job.message", default=None, read_only=True)

    class Meta:
        model = TurfCut
        fields = ["id", "name", "segment", "target", "keep_buildings_whole", "exclude_do_not_contact", "survey",
                  "job", "status", "progress", "message", "stats", "unplaced", "created_at", "cut_at"]

    def to_representation(self, cut):
        data = super().to_representation(cut)
        data["stats"] = {k: v for k, v in cut.stats.items() if k not in BIG_STAT_LISTS}
        data["approximate_contacts"] = cut.stats.get("approximate", [])
        data["excluded"] = cut.stats.get("excluded", [])
        if self.context.get("detail"):
            data["turfs"] = TurfSummarySerializer(cut.turfs.select_related("shift"), many=True).data
        return data


class TurfStopSerializer(serializers.ModelSerializer):
    people = serializers.SerializerMethodField()

    class Meta:
        model = TurfStop
        fields = ["id", "position", "label", "number", "street", "unit", "postal_code", "latitude", "longitude",
                  "approximate", "last_result", "people"]

    def get_people(self, stop) -> list[dict]:
        names = self.context["names"]
        return [{"contact": pk, "name": names.get(pk, "")} for pk in stop.contacts]


class TurfAssignSerializer(serializers.Serializer):
    """Fields left out are left as they are; null unassigns."""
    volunteer = serializers.UUIDField(required=False, allow_null=True, help_text="a contact id; null unassigns")
    shift = serializers.UUIDField(required=False, allow_null=True,
                                  help_text="a shift of a canvass (turf) or phone_bank (call list) event the "
                                            "caller can see; null unassigns")


class ResultSerializer(serializers.Serializer):
    stop = serializers.IntegerField(required=False, help_text="the stop's id")
    position = serializers.IntegerField(required=False, help_text="or its position in the walk")
    contact = serializers.UUIDField(required=False, help_text="one person at the door; empty: everyone there")
    code = serializers.ChoiceField(choices=[c for c, _ in RESULT_CODES])
    support = serializers.IntegerField(required=False, allow_null=True, min_value=1, max_value=5)
    answers = serializers.DictField(required=False, default=dict)
    notes = serializers.CharField(required=False, allow_blank=True, default="", max_length=5000)
    canvasser = serializers.CharField(required=False, allow_blank=True, default="", max_length=200)
    canvasser_contact = serializers.UUIDField(required=False, allow_null=True)
    recorded_at = serializers.DateTimeField(required=False)
    client_id = serializers.CharField(required=False, allow_blank=True, default="", max_length=100)

    def validate(self, data):
        if "stop" not in data and "position" not in data:
            raise serializers.ValidationError({"stop": ["give the stop id or its position"]})
        if data.get("support") is not None and data["code"] != "talked":
            raise serializers.ValidationError({"support": ["support is recorded only when the code is talked"]})
        return data


class ResultsSerializer(serializers.Serializer):
    results = ResultSerializer(many=True, allow_empty=False, max_length=500)


class CanvassResultSerializer(serializers.ModelSerializer):
    class Meta:
        model = CanvassResult
        fields = ["id", "turf", "stop", "contact", "household_key", "code", "support", "answers", "notes",
                  "canvasser", "canvasser_contact", "recorded_at", "client_id", "created_at"]


class CallListCreateSerializer(serializers.Serializer):
    name = serializers.CharField(max_length=200, required=False, allow_blank=True, default="")
    segment = serializers.JSONField()
    size = serializers.JSONField(required=False, default=50, help_text="people per list, 1-1000")


class CallListSerializer(serializers.ModelSerializer):
    people = serializers.SerializerMethodField()
    shift_event = serializers.UUIDField(source="shift.event_id", default=None, read_only=True,
                                        help_text="the event of the shift")

    class Meta:
        model = CallList
        fields = ["id", "batch", "name", "number", "segment", "people", "entries", "volunteer", "shift", "shift_event",
                  "created_at"]

    def get_people(self, call_list) -> int:
        return len(call_list.entries)


def _csv(body: str, filename: str) -> HttpResponse:
    response = HttpResponse(body, content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    return response


# ------------------------------------------------------------------------------------------------ views

class TurfCutViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, TenantViewSet):
    """Turf cuts: POST starts a cut job (202 with the job); GET shows its turfs and quality figures."""

    queryset = TurfCut.objects.select_related("job")
    serializer_class = TurfCutSerializer
    scope_family = "turfs"

    def get_serializer_context(self):
        return {**super().get_serializer_context(), "detail": self.action == "retrieve"}

    @extend_schema(request=TurfCutCreateSerializer, responses={202: JobSerializer})
    def create(self, request):
        params = TurfCutCreateSerializer(data=request.data)
        params.is_valid(raise_exception=True)
        cut = services.turf_cut_start(organization=self.organization, actor=self.actor, **params.validated_data)
        data = {**JobSerializer(cut.job, context={"request": request}).data, "turf_cut": str(cut.pk)}
        return Response(data, status=202, headers={"Location": f"/api/v1/turf-cuts/{cut.pk}/"})

    @extend_schema(responses={(200, "text/csv"): str})
    @action(detail=True, url_path="walk-list")
    def walk_list(self, request, pk=None):
        """Every turf's doors and people in walk order, as CSV."""
        cut = self.get_object()
        turfs = list(cut.turfs.all())
        stops = {}
        for stop in TurfStop.objects.filter(turf__cut=cut).order_by("turf__number", "position"):
            stops.setdefault(stop.turf_id, []).append(stop)
        audit_record(organization=self.organization, actor=self.actor, verb="turf_cut.walk_list.exported", obj=cut)
        return _csv(walk_list_csv((t, stops.get(t.pk, [])) for t in turfs), f"walk-list-{cut.pk}.csv")


class TurfViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, TenantViewSet):
    """Turfs of the caller's cuts: ordered stops, assignment, results, CSV walk list and PDF walk sheet."""

    queryset = Turf.objects.select_related("cut", "volunteer", "shift")
    serializer_class = TurfSummarySerializer
    scope_family = "turfs"
    filterset_fields = ["cut", "volunteer", "shift"]

    def retrieve(self, request, pk=None):
        turf = self.get_object()
        stops = list(stops_of(turf))
        data = TurfSummarySerializer(turf).data
        data["stops"] = TurfStopSerializer(stops, many=True, context={"names": stop_people(stops)}).data
        data["survey"] = turf.cut.survey
        return Response(data)

    @extend_schema(request=TurfAssignSerializer, responses=TurfSummarySerializer)
    def partial_update(self, request, pk=None):
        """Assign the turf to a volunteer and/or a canvass shift."""
        turf = self.get_object()
        params = TurfAssignSerializer(data=request.data)
        params.is_valid(raise_exception=True)
        services.assign_volunteer(obj=turf, organization=self.organization, actor=self.actor,
                                  **params.validated_data)
        return Response(TurfSummarySerializer(turf).data)

    @extend_schema(request=ResultsSerializer, responses={201: CanvassResultSerializer(many=True)})
    @action(detail=True, methods=["get", "post"], url_path="results")
    def results(self, request, pk=None):
        """POST one result (an object) or several (`{"results": [...]}`); GET lists the turf's results."""
        turf = self.get_object()
        if request.method == "GET":
            page = self.paginate_queryset(CanvassResult.objects.filter(turf=turf).order_by("created_at", "id"))
            return self.get_paginated_response(CanvassResultSerializer(page, many=True).data)
        raw = request.data["results"] if isinstance(request.data, dict) and "results" in request.data else [
            request.data]
        if not isinstance(raw, list) or not 1 <= len(raw) <= 500:
            raise serializers.ValidationError({"results": ["give a list of 1 to 500 results"]})
        checked = [ResultSerializer(data=item) for item in raw]
        errors = [{} if item.is_valid() else item.errors for item in checked]
        if any(errors):
            raise serializers.ValidationError({"results": errors})  # paths like results[3].code
        items = [{**item.validated_data, **{k: str(item.validated_data[k]) for k in ("contact", "canvasser_contact")
                                            if item.validated_data.get(k)}} for item in checked]
        recorded = services.turf_results_record(turf=turf, organization=self.organization, results=items)
        turf.refresh_from_db()
        return Response({"results": CanvassResultSerializer(recorded, many=True).data,
                         "turf": TurfSummarySerializer(turf).data}, status=201)

    @extend_schema(responses={(200, "text/csv"): str})
    @action(detail=True, url_path="walk-list")
    def walk_list(self, request, pk=None):
        turf = self.get_object()
        audit_record(organization=self.organization, actor=self.actor, verb="turf.walk_list.exported", obj=turf)
        return _csv(walk_list_csv([(turf, list(stops_of(turf)))]), f"walk-list-turf-{turf.number}.csv")

    @extend_schema(responses={(200, "application/pdf"): bytes})
    @action(detail=True, url_path="walk-sheet")
    def walk_sheet(self, request, pk=None):
        """A printable PDF walk sheet of the turf."""
        turf = self.get_object()
        pdf = walk_sheet_pdf(turf=turf, stops=list(stops_of(turf)), organization_name=self.organization.name,
                             volunteer=str(turf.volunteer) if turf.volunteer else "")
        audit_record(organization=self.organization, actor=self.actor, verb="turf.walk_sheet.exported", obj=turf)
        response = HttpResponse(pdf, content_type="application/pdf")
        response["Content-Disposition"] = f'inline; filename="walk-sheet-turf-{turf.number}.pdf"'
        return response


class CallListViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, TenantViewSet):
    """Phone-bank lists: POST a segment and a size (201 with the lists made), GET a list, its CSV, assign it."""

    queryset = CallList.objects.select_related("volunteer", "shift")
    serializer_class = CallListSerializer
    scope_family = "turfs"
    filterset_fields = ["batch", "volunteer", "shift"]

    @extend_schema(request=CallListCreateSerializer, responses={201: CallListSerializer(many=True)})
    def create(self, request):
        params = CallListCreateSerializer(data=request.data)
        params.is_valid(raise_exception=True)
        lists = services.call_lists_create(organization=self.organization, actor=self.actor,
                                           **params.validated_data)
        return Response({"batch": str(lists[0].batch), "lists": CallListSerializer(lists, many=True).data},
                        status=201)

    @extend_schema(request=TurfAssignSerializer, responses=CallListSerializer)
    def partial_update(self, request, pk=None):
        call_list = self.get_object()
        params = TurfAssignSerializer(data=request.data)
        params.is_valid(raise_exception=True)
        services.assign_volunteer(obj=call_list, organization=self.organization, actor=self.actor,
                                  **params.validated_data)
        return Response(CallListSerializer(call_list).data)

    @extend_schema(responses={(200, "text/csv"): str})
    @action(detail=True, url_path="csv")
    def csv(self, request, pk=None):
        call_list = self.get_object()
        audit_record(organization=self.organization, actor=self.actor, verb="call_list.exported", obj=call_list)
        return _csv(call_list_csv([call_list]), f"call-list-{call_list.number}.csv")


class CanvassResultViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, TenantViewSet):
    """Canvass results of the caller's turfs: a contact's door-knocking activity is `?contact=<id>`."""

    queryset = CanvassResult.objects.all()
    serializer_class = CanvassResultSerializer
    scope_family = "turfs"
    filterset_fields = ["contact", "turf", "code"]
