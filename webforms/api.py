"""Staff API: /api/v1/forms/ (CRUD by slug) and /api/v1/forms/{slug}/submissions/."""
from django.db.models import Prefetch
from drf_spectacular.utils import extend_schema
from rest_framework import mixins, status
from rest_framework.decorators import action
from rest_framework.response import Response

from api.viewsets import TenantViewSet

from .models import Form, FormCosponsor, Submission
from .serializers import FormSerializer, SubmissionSerializer
from .services import form_delete, form_save


class FormViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, TenantViewSet):
    """Forms owned or co-sponsored by the caller's organization. Only the owner changes a form."""

    queryset = Form.objects.select_related("organization").prefetch_related(
        Prefetch("cosponsors", FormCosponsor.objects.select_related("organization")))
    serializer_class = FormSerializer
    scope_family = "forms"
    lookup_field = "slug"
    lookup_value_regex = r"[-a-zA-Z0-9_]+"

    def create(self, request):
        serializer = self.get_serializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        form = form_save(organization=self.organization, actor=self.actor, data=dict(serializer.validated_data))
        return Response(self.get_serializer(self.get_queryset().get(pk=form.pk)).data, status=status.HTTP_201_CREATED)

    def update(self, request, slug=None, partial=False):
        form = self.get_object()
        serializer = self.get_serializer(form, data=request.data, partial=partial)
        serializer.is_valid(raise_exception=True)
        form_save(organization=self.organization, actor=self.actor, data=dict(serializer.validated_data), form=form)
        return Response(self.get_serializer(self.get_queryset().get(pk=form.pk)).data)

    def partial_update(self, request, slug=None):
        return self.update(request, slug, partial=True)

    def destroy(self, request, slug=None):
        form_delete(form=self.get_object(), actor=self.actor)
        return Response(status=status.HTTP_204_NO_CONTENT)

    @extend_schema(responses=SubmissionSerializer(many=True))
    @action(detail=True, url_path="submissions", url_name="submissions")
    def submissions(self, request, slug=None):
        """The form's submissions the caller is entitled to: all for the owner; for a co-sponsor, all
        (sharing "all"), those it recruited ("recruited") or none ("none")."""
        form = self.get_object()
        queryset = (Submission.objects.visible_to(self.organization).filter(form=form)
                    .select_related("form", "recruited_by"))
        page = self.paginate_queryset(queryset)
        return self.get_paginated_response(SubmissionSerializer(page, many=True).data)
