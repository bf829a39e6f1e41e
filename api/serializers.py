from django.urls import reverse
from rest_framework import serializers

from jobs.models import Job
from organizations.models import AuditEvent, Organization


class OrganizationPublicSerializer(serializers.ModelSerializer):
    class Meta:
        model = Organization
        fields = ["id", "name", "slug", "short_name", "website", "timezone"]


class JobSerializer(serializers.ModelSerializer):
    result_url = serializers.SerializerMethodField()

    class Meta:
        model = Job
        fields = ["id", "kind", "status", "progress", "message", "result", "result_url", "error", "created_at",
                  "started_at", "finished_at"]

    def get_result_url(self, job) -> str | None:
        if not job.result_file:
            return None
        return self.context["request"].build_absolute_uri(reverse("job-download", args=[job.pk]))

    def to_representation(self, job):
        data = super().to_representation(job)
        if job.status == "failed" and "Traceback" in (job.error or ""):
            data["error"] = job.message  # tracebacks are for operators' logs, not partners
        return data


class MeSerializer(serializers.Serializer):
    organization = OrganizationPublicSerializer()
    coalition = serializers.CharField(source="organization.coalition.name")
    scopes = serializers.ListField(child=serializers.CharField())
    key = serializers.DictField(allow_null=True)
    user = serializers.CharField(allow_null=True)


class AuditEventSerializer(serializers.ModelSerializer):
    actor = serializers.CharField(source="actor_label")
    organization = serializers.SlugRelatedField(slug_field="slug", read_only=True)

    class Meta:
        model = AuditEvent
        fields = ["id", "created_at", "organization", "actor", "verb", "object_type", "object_id", "details"]


class AuditExportSerializer(serializers.Serializer):
    since = serializers.DateTimeField(required=False)
    until = serializers.DateTimeField(required=False)

    def validate(self, data):
        if "since" in data and "until" in data and data["since"] >= data["until"]:
            raise serializers.ValidationError({"until": ["must be after since"]})
        return data
