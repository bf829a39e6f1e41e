"""The webhooks HTTP surface (thin: validation in serializers, rules in services)."""
import django_filters
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema, inline_serializer
from rest_framework import mixins, serializers
from rest_framework.decorators import action
from rest_framework.response import Response

from api.pagination import CursorPagination
from api.viewsets import TenantViewSet

from . import services
from .models import EVENT_TYPES, DeliveryStatus, WebhookAttempt, WebhookDelivery, WebhookEndpoint


class WebhookSerializer(serializers.ModelSerializer):
    url = serializers.URLField(max_length=2000)
    event_types = serializers.ListField(child=serializers.CharField(max_length=40), allow_empty=False)

    class Meta:
        model = WebhookEndpoint
        fields = ["id", "url", "description", "event_types", "active", "consecutive_failures", "disabled_at",
                  "disabled_reason", "created_at", "modified_at"]
        read_only_fields = ["consecutive_failures", "disabled_at", "disabled_reason"]


class WebhookCreatedSerializer(WebhookSerializer):
    secret = serializers.CharField(read_only=True, help_text="shown once: keep it to verify signatures")

    class Meta(WebhookSerializer.Meta):
        fields = WebhookSerializer.Meta.fields + ["secret"]


class AttemptSerializer(serializers.ModelSerializer):
    class Meta:
        model = WebhookAttempt
        fields = ["number", "created_at", "status_code", "duration_ms", "error", "response_excerpt",
                  "next_attempt_at", "notice"]


class DeliverySerializer(serializers.ModelSerializer):
    webhook = serializers.UUIDField(source="endpoint_id", read_only=True)
    message_id = serializers.CharField(source="message.message_id", read_only=True)
    event_type = serializers.CharField(source="message.event_type", read_only=True)
    sequence = serializers.IntegerField(source="message_id", read_only=True)
    attempt_log = AttemptSerializer(many=True, read_only=True)

    class Meta:
        model = WebhookDelivery
        fields = ["id", "webhook", "message_id", "event_type", "sequence", "status", "attempts", "next_attempt_at",
                  "last_status_code", "last_error", "delivered_at", "created_at", "attempt_log"]


class RotatedSerializer(serializers.Serializer):
    secret = serializers.CharField()
    previous_secret_valid_until = serializers.DateTimeField()


class DeliveryFilter(django_filters.FilterSet):
    webhook = django_filters.UUIDFilter(field_name="endpoint_id")
    status = django_filters.ChoiceFilter(choices=DeliveryStatus.choices)

    class Meta:
        model = WebhookDelivery
        fields = ["webhook", "status"]


DeliveryPagination = type("DeliveryPagination", (CursorPagination,), {"ordering": ("-created_at", "-id")})


def _deliveries(queryset):
    return queryset.select_related("message").prefetch_related("attempt_log")


class WebhookViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, TenantViewSet):
    """The organization's webhook subscriptions. The signing secret (`whsec_...`) is in the creation response
    only; rotate it with `rotate-secret` (the old one stays valid for a grace period)."""

    queryset = WebhookEndpoint.objects.all()
    serializer_class = WebhookSerializer
    scope_family = "webhooks"

    @extend_schema(responses={201: WebhookCreatedSerializer})
    def create(self, request):
        data = self._valid(WebhookSerializer(data=request.data))
        endpoint, secret = services.webhook_create(organization=self.organization, actor=self.actor, **data)
        endpoint.secret = secret
        return Response(WebhookCreatedSerializer(endpoint).data, status=201)

    def update(self, request, pk=None, partial=False):
        endpoint = self.get_object()
        data = self._valid(WebhookSerializer(endpoint, data=request.data, partial=partial))
        services.webhook_update(endpoint=endpoint, actor=self.actor, **data)
        return Response(WebhookSerializer(endpoint).data)

    def partial_update(self, request, pk=None):
        return self.update(request, pk, partial=True)

    def destroy(self, request, pk=None):
        services.webhook_delete(endpoint=self.get_object(), actor=self.actor)
        return Response(status=204)

    @staticmethod
    def _valid(serializer):
        serializer.is_valid(raise_exception=True)
        return serializer.validated_data

    @extend_schema(request=None, responses=RotatedSerializer)
    @action(detail=True, methods=["post"], url_path="rotate-secret")
    def rotate_secret(self, request, pk=None):
        endpoint = self.get_object()
        secret = services.webhook_rotate_secret(endpoint=endpoint, actor=self.actor)
        return Response({"secret": secret, "previous_secret_valid_until": endpoint.previous_secret_expires_at})

    @extend_schema(responses=DeliverySerializer(many=True))
    @action(detail=True, methods=["get"], url_path="deliveries", pagination_class=DeliveryPagination)
    def deliveries(self, request, pk=None):
        """The delivery log of this webhook, newest first: each delivery with its attempts (status code,
        duration, error, next attempt)."""
        endpoint = self.get_object()
        queryset = _deliveries(WebhookDelivery.objects.visible_to(self.organization).filter(endpoint=endpoint))
        if request.query_params.get("status"):
            queryset = queryset.filter(status=request.query_params["status"])
        page = self.paginate_queryset(queryset)
        return self.get_paginated_response(DeliverySerializer(page, many=True).data)

    @extend_schema(request=None, responses={202: DeliverySerializer}, parameters=[
        OpenApiParameter("webhook_pk", OpenApiTypes.UUID, OpenApiParameter.PATH),
        OpenApiParameter("delivery_pk", OpenApiTypes.UUID, OpenApiParameter.PATH)])
    @action(detail=False, methods=["post"], url_path=r"(?P<webhook_pk>[^/.]+)/deliveries/(?P<delivery_pk>[^/.]+)/redeliver",
            url_name="redeliver-nested")
    def redeliver_nested(self, request, webhook_pk=None, delivery_pk=None):
        """Send a delivery again now (same message id)."""
        delivery = _get_delivery(self, pk=delivery_pk, endpoint_id=webhook_pk)
        services.delivery_redeliver(delivery=delivery, actor=self.actor)
        return Response(DeliverySerializer(delivery).data, status=202)

    @extend_schema(responses=inline_serializer("EventTypes", {"event_types": serializers.ListField()}))
    @action(detail=False, methods=["get"], url_path="event-types", pagination_class=None)
    def event_types(self, request):
        return Response({"event_types": list(EVENT_TYPES)})


def _get_delivery(view, **lookup):
    from django.core.exceptions import ValidationError
    from django.http import Http404
    try:
        delivery = (WebhookDelivery.objects.writable_by(view.organization).select_related("endpoint", "message")
                    .filter(**lookup).first())
    except ValidationError:  # not a UUID
        delivery = None
    if delivery is None:
        raise Http404
    return delivery


class WebhookDeliveryViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, TenantViewSet):
    """Every delivery of the organization's webhooks (`?webhook=<id>&status=failed`), newest first."""

    queryset = WebhookDelivery.objects.all()
    serializer_class = DeliverySerializer
    scope_family = "webhooks"
    filterset_class = DeliveryFilter
    pagination_class = DeliveryPagination

    def get_queryset(self):
        return _deliveries(super().get_queryset())

    @extend_schema(request=None, responses={202: DeliverySerializer})
    @action(detail=True, methods=["post"])
    def redeliver(self, request, pk=None):
        """Send this delivery again now (same message id, so receivers can still de-duplicate)."""
        delivery = self.get_object()
        services.delivery_redeliver(delivery=delivery, actor=self.actor)
        return Response(DeliverySerializer(delivery).data, status=202)
