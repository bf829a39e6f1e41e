from django.db import connection
from django.http import FileResponse, JsonResponse
from django_rq import get_connection
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework.decorators import action
from rest_framework.exceptions import PermissionDenied, ValidationError
from rest_framework.response import Response

from jobs.models import Job
from jobs.services import job_enqueue
from organizations.models import ApiKey, AuditEvent, Organization, Role
from organizations.scopes import ALL_SCOPES
from organizations.services import audit_events_of_coalition

from .context import caller_organization, caller_role, may_act_coalition_wide
from .filters import AuditEventFilter
from .pagination import CursorPagination
from .errors import error_body
from .serializers import AuditEventSerializer, AuditExportSerializer, JobSerializer, MeSerializer, OrganizationPublicSerializer
from .viewsets import ApiView, ReadOnlyTenantViewSet


def healthz(request):
    """Liveness and readiness: PostgreSQL and Redis must both answer."""
    checks = {}
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
        checks["postgres"] = "ok"
    except Exception as exc:  # any failure means not ready
        checks["postgres"] = f"error: {type(exc).__name__}"
    try:
        get_connection("default").ping()
        checks["redis"] = "ok"
    except Exception as exc:
        checks["redis"] = f"error: {type(exc).__name__}"
    healthy = all(value == "ok" for value in checks.values())
    body = {"status": "ok", "checks": checks} if healthy else {
        **error_body("unavailable", "A backing service is down.", checks=checks)}
    return JsonResponse(body, status=200 if healthy else 503)


class MeView(ApiView):
    """The calling key's (or staff user's) organization and scopes."""

    @extend_schema(responses=MeSerializer)
    def get(self, request):
        organization = caller_organization(request)
        if isinstance(request.auth, ApiKey):
            scopes, key, user = request.auth.scopes, {"name": request.auth.name, "prefix": request.auth.prefix}, None
        else:
            role = caller_role(request)
            write = role in (Role.ADMIN, Role.ORGANIZER)
            scopes = [s for s in ALL_SCOPES if write or s.endswith(":read")]
            key, user = None, request.user.get_username()
        return Response(MeSerializer({"organization": organization, "scopes": scopes, "key": key, "user": user}).data)


class OrganizationViewSet(ReadOnlyTenantViewSet):
    """The coalition's member organizations (public fields only)."""

    queryset = Organization.objects.all()
    serializer_class = OrganizationPublicSerializer
    lookup_field = "slug"
    pagination_class = None

    def get_queryset(self):
        return Organization.objects.filter(coalition=self.organization.coalition)


class JobViewSet(ReadOnlyTenantViewSet):
    """Background jobs started by the caller's organization: status, progress and result."""

    queryset = Job.objects.all()
    serializer_class = JobSerializer
    scope_family = "jobs"

    @action(detail=True, url_path="download", url_name="download")
    def download(self, request, pk=None):
        job = self.get_object()
        if not job.result_file:
            return Response(error_body("not_found", "This job has no file (yet)."), status=404)
        return FileResponse(job.result_file.open("rb"), as_attachment=True,
                            filename=job.result_file.name.rsplit("/", 1)[-1])


class AuditEventViewSet(ReadOnlyTenantViewSet):
    """What happened to the organization's data. Read-only: entries are never changed or deleted."""

    queryset = AuditEvent.objects.all()
    serializer_class = AuditEventSerializer
    scope_family = "audit"
    admin_only = True
    pagination_class = type("AuditPagination", (CursorPagination,), {"ordering": ("-created_at", "-id")})
    filterset_class = AuditEventFilter

    @extend_schema(parameters=[OpenApiParameter("scope", enum=["organization", "coalition"], required=False,
                                                description="`coalition`: every member's log (coalition admins)")])
    def list(self, request, *args, **kwargs):
        """The audit log, newest first; filter by verb, actor, object_type, object_id, since, until.
        `?scope=coalition` reads every member's log (keys with `coalition:admin`, admins of the coalition-admin
        member)."""
        return super().list(request, *args, **kwargs)

    def get_queryset(self):
        scope = self.request.query_params.get("scope", "organization")
        if scope == "organization":
            return super().get_queryset().select_related("organization")
        if scope != "coalition":
            raise ValidationError({"scope": ["Use organization or coalition."]})
        if not may_act_coalition_wide(self.request):
            raise PermissionDenied("Reading the coalition-wide log needs the coalition:admin scope of a "
                                   "coalition-admin member.")
        return audit_events_of_coalition(self.organization.coalition).select_related("organization")

    @extend_schema(request=AuditExportSerializer, responses={202: JobSerializer})
    @action(detail=False, methods=["post"], url_path="export")
    def export(self, request):
        """Export the audit log (optionally a time range) as CSV in a background job; poll the job, then
        download its file."""
        params = AuditExportSerializer(data=request.data)
        params.is_valid(raise_exception=True)
        job = job_enqueue(organization=self.organization, kind="audit.export", actor=self.actor,
                          params={k: v.isoformat() for k, v in params.validated_data.items()})
        return Response(JobSerializer(job, context={"request": request}).data, status=202)
