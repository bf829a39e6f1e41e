"""The testimony API: hearings (with bills, sign-ups, speaker order, summary, exports) and testimonies."""
from django.db.models import Prefetch
from drf_spectacular.utils import extend_schema
from rest_framework import mixins
from rest_framework.decorators import action
from rest_framework.parsers import JSONParser, MultiPartParser
from rest_framework.response import Response

from api.serializers import JobSerializer
from api.viewsets import TenantViewSet
from jobs.services import job_enqueue
from organizations.errors import DomainError

from .. import services
from ..models import Hearing, Testimony
from ..speaker_order import parse_order
from . import serializers as s

#: actions any member that sees the hearing may use (the rest edit the hearing: host only)
MEMBER_ACTIONS = {"testimonies", "summary", "roster_export", "packet_export", "speaker_order_link"}


class HearingViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, mixins.CreateModelMixin,
                     mixins.UpdateModelMixin, TenantViewSet):
    """Legislative hearings. The host organization edits a hearing; with visibility "coalition" every member
    sees it, signs its own witnesses up and sees counts of everyone's."""

    queryset = Hearing.objects.prefetch_related("bills")
    serializer_class = s.HearingSerializer
    scope_family = "testimony"

    def get_queryset(self):
        if self.action in MEMBER_ACTIONS or self.request.method in ("GET", "HEAD", "OPTIONS"):
            return self.queryset.all().visible_to(self.organization)
        return self.queryset.all().writable_by(self.organization)

    def perform_create(self, serializer):
        serializer.instance = services.hearing_create(organization=self.organization,
                                                      data=serializer.validated_data, actor=self.actor)

    def perform_update(self, serializer):
        serializer.instance = services.hearing_update(hearing=serializer.instance, data=serializer.validated_data,
                                                      actor=self.actor)

    @extend_schema(request=s.BillSerializer, responses=s.BillSerializer(many=True))
    @action(detail=True, methods=["get", "post"])
    def bills(self, request, pk=None):
        """The agenda. POST adds a bill (host only); another spelling of a bill already listed updates it."""
        hearing = self.get_object()
        if request.method == "POST":
            data = s.BillSerializer(data=request.data)
            data.is_valid(raise_exception=True)
            bill, created = services.bill_add(hearing=hearing, actor=self.actor, **data.validated_data)
            return Response(s.BillSerializer(bill).data, status=201 if created else 200)
        return Response(s.BillSerializer(hearing.bills.all(), many=True).data)

    @extend_schema(request=s.TestimonyCreateSerializer, responses=s.TestimonySerializer)
    @action(detail=True, methods=["get", "post"])
    def testimonies(self, request, pk=None):
        """Your organization's witnesses for this hearing; POST signs one up (`contact` id or `person` body)."""
        hearing = self.get_object()
        if request.method == "POST":
            data = s.TestimonyCreateSerializer(data=request.data)
            data.is_valid(raise_exception=True)
            testimony = services.testimony_create(hearing=hearing, organization=self.organization,
                                                  actor=self.actor, **data.validated_data)
            return Response(s.TestimonySerializer(testimony).data, status=201)
        rows = TestimonyViewSet.base_queryset().visible_to(self.organization).filter(hearing=hearing)
        return Response(s.TestimonySerializer(rows, many=True).data)

    @extend_schema(responses={200: dict})
    @action(detail=True, methods=["get"])
    def summary(self, request, pk=None):
        """Counts of witnesses by position, mode, organization and status, per hearing and per bill: every
        member's witnesses as numbers, never as people."""
        return Response(services.hearing_summary(hearing=self.get_object(), organization=self.organization))

    @extend_schema(request=s.SpeakerOrderImportSerializer, responses=s.SpeakerSlotSerializer(many=True))
    @action(detail=True, methods=["get", "post"], url_path="speaker-order", url_name="speaker-order",
            parser_classes=[JSONParser, MultiPartParser])
    def speaker_order(self, request, pk=None):
        """The posted speaker order. POST (host only) replaces it from `names`, pasted `text` or an uploaded
        `file`, matches names to witnesses, places and tells them; the answer lists unmatched names to review."""
        hearing = self.get_object()
        if request.method == "POST":
            data = s.SpeakerOrderImportSerializer(data=request.data)
            data.is_valid(raise_exception=True)
            v = data.validated_data
            entries = list(enumerate(v["names"], start=1)) if "names" in v else parse_order(v["text"])
            result = services.speaker_order_import(hearing=hearing, entries=entries, actor=self.actor,
                                                   posted_at=data.validated_data.get("posted_at"),
                                                   url=data.validated_data.get("url"))
            slots = s.SpeakerSlotSerializer(result["slots"], many=True, context={"organization": self.organization})
            return Response({
                "speakers": len(result["slots"]), "matched": len(result["outcomes"]),
                "order": slots.data,
                "unmatched": [{"position": m.position, "name": m.name, "ambiguous": bool(m.ambiguous)}
                              for m in result["matches"] if m.key is None],
                "needs_attention": [str(k) for k, v in result["outcomes"].items() if v != "placed"
                                    and Testimony.objects.visible_to(self.organization).filter(pk=k).exists()],
            }, status=201)
        slots = hearing.speaker_slots.select_related("testimony")
        return Response(s.SpeakerSlotSerializer(slots, many=True, context={"organization": self.organization}).data)

    @extend_schema(request=s.SpeakerOrderLinkSerializer, responses=s.SpeakerSlotSerializer)
    @action(detail=True, methods=["post"], url_path="speaker-order/match", url_name="speaker-order-match")
    def speaker_order_link(self, request, pk=None):
        """Resolve an unmatched name: this position is this witness (one of your own)."""
        hearing = self.get_object()
        data = s.SpeakerOrderLinkSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        testimony = Testimony.objects.writable_by(self.organization).filter(
            pk=data.validated_data["testimony"]).first()
        if testimony is None:
            raise DomainError("not_found", "No such testimony.", field="testimony", status=404)
        slot = services.speaker_order_link(hearing=hearing, position=data.validated_data["position"],
                                           testimony=testimony, actor=self.actor)
        return Response(s.SpeakerSlotSerializer(slot, context={"organization": self.organization}).data)

    @extend_schema(request=s.SpeakerOrderDoneSerializer, responses={200: dict})
    @action(detail=True, methods=["post"], url_path="speaker-order/done", url_name="speaker-order-done")
    def speaker_order_done(self, request, pk=None):
        """Mark speakers done (host only); later witnesses hear "about N speakers before you"."""
        hearing = self.get_object()
        data = s.SpeakerOrderDoneSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        return Response(services.speaker_order_done(hearing=hearing, actor=self.actor, **data.validated_data))

    def _export(self, kind, params):
        hearing = self.get_object()
        job = job_enqueue(organization=self.organization, kind=kind, actor=self.actor, queue="low",
                          params={"hearing": str(hearing.pk), **params})
        return Response(JobSerializer(job, context={"request": self.request}).data, status=202)

    @extend_schema(request=None, responses={202: JobSerializer})
    @action(detail=True, methods=["post"], url_path="exports/roster", url_name="export-roster")
    def roster_export(self, request, pk=None):
        """A CSV of your organization's witnesses for this hearing, as a job."""
        return self._export("testimony.roster", {})

    @extend_schema(request=s.PacketRequestSerializer, responses={202: JobSerializer})
    @action(detail=True, methods=["post"], url_path="exports/packet", url_name="export-packet")
    def packet_export(self, request, pk=None):
        """The written-testimony packet (PDF) of one bill from your organization's witnesses, as a job."""
        hearing = self.get_object()
        data = s.PacketRequestSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        bill = services._bill_on_agenda(hearing, data.validated_data["bill"], "bill")
        return self._export("testimony.packet", {"bill": bill.number})


class TestimonyViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, TenantViewSet):
    """Your organization's witnesses. Change the status only through `transition`."""

    queryset = Testimony.objects.all()
    serializer_class = s.TestimonySerializer
    scope_family = "testimony"
    filterset_fields = ["hearing", "status", "mode"]

    @staticmethod
    def base_queryset():
        return Testimony.objects.select_related("contact", "coach", "organization", "hearing").prefetch_related(
            "positions__bill", "drafts")

    def get_queryset(self):
        self.queryset = self.base_queryset()
        return super().get_queryset()

    @extend_schema(request=s.TestimonyUpdateSerializer, responses=s.TestimonySerializer)
    def partial_update(self, request, pk=None):
        testimony = self.get_object()
        data = s.TestimonyUpdateSerializer(data=request.data, partial=True)
        data.is_valid(raise_exception=True)
        testimony = services.testimony_update(testimony=testimony, data=data.validated_data, actor=self.actor)
        return Response(s.TestimonySerializer(self.base_queryset().get(pk=testimony.pk)).data)

    @extend_schema(request=s.TransitionRequestSerializer, responses=s.TestimonySerializer)
    @action(detail=True, methods=["post"])
    def transition(self, request, pk=None):
        """Move the witness along: `{"to": "drafting"}`. An illegal move is a 409 naming the allowed ones; to
        registered needs public-record consent (409 without) and the confirmation the witness received."""
        testimony = self.get_object()
        data = s.TransitionRequestSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        testimony = services.testimony_transition(testimony=testimony, actor=self.actor, **data.validated_data)
        return Response(s.TestimonySerializer(self.base_queryset().get(pk=testimony.pk)).data)

    @extend_schema(request=s.ConsentRequestSerializer, responses=s.TestimonySerializer)
    @action(detail=True, methods=["post"], url_path="public-record-consent", url_name="public-record-consent")
    def public_record_consent(self, request, pk=None):
        """Record the witness's explicit consent to appear in the public record (name, words, documents)."""
        testimony = self.get_object()
        data = s.ConsentRequestSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        services.public_record_consent_record(testimony=testimony, actor=self.actor, **data.validated_data)
        return Response(s.TestimonySerializer(self.base_queryset().get(pk=testimony.pk)).data)

    @extend_schema(request=s.DraftCreateSerializer, responses=s.DraftSerializer(many=True))
    @action(detail=True, methods=["get", "post"], parser_classes=[JSONParser, MultiPartParser])
    def drafts(self, request, pk=None):
        """Versions of the written testimony. POST `text` (JSON) or a `file` (multipart: PDF or DOCX, checked
        by content, at most 10 MB); optional `bill` when the draft is for one bill only."""
        testimony = self.get_object()
        if request.method == "POST":
            data = s.DraftCreateSerializer(data=request.data)
            data.is_valid(raise_exception=True)
            v = data.validated_data
            draft = services.draft_add(testimony=testimony, text=v["text"], upload=v.get("file"),
                                       bill=v.get("bill") or None, note=v["note"], actor=self.actor)
            return Response(s.DraftSerializer(draft).data, status=201)
        return Response(s.DraftSerializer(testimony.drafts.select_related("bill"), many=True).data)

    @extend_schema(responses=s.TransitionSerializer(many=True))
    @action(detail=True, methods=["get"])
    def history(self, request, pk=None):
        """Every status change of this witness."""
        return Response(s.TransitionSerializer(self.get_object().transitions.all(), many=True).data)
