"""OSDI endpoints. Thin: tenancy through `visible_to`, writes through services, records through serializers.
Unknown, malformed and foreign ids are the same 404."""
import uuid

from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework.parsers import JSONParser
from rest_framework.renderers import JSONRenderer
from rest_framework.response import Response

from api.authentication import ApiKeyAuthentication
from api.permissions import HasScope
from api.viewsets import ApiView
from contacts.models import Contact, Tag, Tagging
from contacts.services import resolve
from contacts.sharing import render_contacts
from organizations.errors import DomainError

from . import filters, services
from .authentication import OsdiTokenAuthentication
from .pagination import paginate
from .serializers import href, person_input, person_record, tag_names, tag_record, tagging_record


class HalJsonRenderer(JSONRenderer):
    media_type = "application/hal+json"


class HalJsonParser(JSONParser):
    media_type = "application/hal+json"


LIST_PARAMETERS = [
    OpenApiParameter("page", int, description="page number, from 1; past the last page is an empty page"),
    OpenApiParameter("per_page", int, description="records per page (default 25, at most 100)"),
    OpenApiParameter("filter", str, description="OData subset, e.g. `modified_date gt '2024-01-01'`"),
]


def osdi_schema(operation_id: str, summary: str, *, listing=False, body=False):
    """OpenAPI for an OSDI operation: HAL+JSON objects (the OSDI spec is their schema)."""
    return extend_schema(operation_id=f"osdi_{operation_id}", summary=summary, tags=["osdi"],
                         parameters=LIST_PARAMETERS if listing else None,
                         request=OpenApiTypes.OBJECT if body else None, responses={200: OpenApiTypes.OBJECT})


def not_found():
    return DomainError("not_found", "Not found.", status=404)


def as_uuid(value) -> uuid.UUID:
    try:
        return uuid.UUID(str(value))
    except ValueError:
        raise not_found() from None


def person_href(body: dict) -> str:
    """`_links["osdi:person"].href` of a tagging, attendance, signature or submission body."""
    links = body.get("_links")
    person = links.get("osdi:person") if isinstance(links, dict) else None
    value = person.get("href") if isinstance(person, dict) else None
    if not isinstance(value, str) or not value:
        raise DomainError("validation_error", "_links.osdi:person.href is required.", field="_links.osdi:person.href")
    return value


class OsdiView(ApiView):
    """Idempotency-Key on writes (api.viewsets.ApiView), the OSDI token, HAL+JSON."""

    authentication_classes = [OsdiTokenAuthentication, ApiKeyAuthentication]
    permission_classes = [HasScope]
    renderer_classes = [HalJsonRenderer, JSONRenderer]
    parser_classes = [JSONParser, HalJsonParser]
    scope_family = "contacts"

    def body(self) -> dict:
        data = self.request.data
        if not isinstance(data, dict):
            raise DomainError("validation_error", "The body must be a JSON object.", field="non_field_errors")
        return data

    # people
    def people(self):
        return Contact.objects.visible_to(self.organization)

    def render_people(self, contacts):
        views = render_contacts(self.organization, [c.pk for c in contacts])  # one query for the page
        return [person_record(self.request, views[c.pk]) for c in contacts]

    def person(self, pk) -> Contact:
        """The visible person behind an id; an old id of a merged contact answers with the survivor."""
        contact = Contact.objects.filter(pk=as_uuid(pk)).first()
        contact = resolve(contact) if contact else None
        if contact is None or not self.people().filter(pk=contact.pk).exists():
            raise not_found()
        return contact

    def person_response(self, contact, status=200):
        return Response(self.render_people([contact])[0], status=status)

    # tags
    def tag(self, pk) -> Tag:
        tag = Tag.objects.visible_to(self.organization).filter(pk=as_uuid(pk)).first()
        if tag is None:
            raise not_found()
        return tag

    def taggings(self):
        """Taggings the caller may see: of its own or coalition-wide tags, on people it may see (as contact_view
        shows tags)."""
        return Tagging.objects.filter(tag__in=Tag.objects.visible_to(self.organization),
                                      contact__in=self.people()).order_by("created_at", "id")

    def render_taggings(self, rows):
        return [tagging_record(self.request, t) for t in rows]


class EntryPointView(OsdiView):
    scope_family = None

    @osdi_schema("entry_point", "OSDI entry point: links to the collections")
    def get(self, request):
        links = {f"osdi:{kind}": {"href": href(request, kind)} for kind in ("people", "tags", "events", "petitions", "forms")}
        links["osdi:person_signup_helper"] = {"href": href(request, "people")}
        links["self"] = {"href": href(request, "")}
        return Response({"motd": "Coalition OSDI API", "vendor_name": "Coalition", "product_name": "Coalition CRM",
                         "osdi_version": "1.0", "max_pagesize": 100, "_links": links})


class PeopleView(OsdiView):
    @osdi_schema("people_list", "List people (filters: email_address, modified_date, ...)", listing=True)
    def get(self, request):
        queryset = filters.filter_people(request, self.organization, self.people()).order_by(
            "created_at", "id").only("id")  # the page is rendered by render_contacts in one query
        return Response(paginate(request, queryset, kind="people", render=self.render_people))

    @osdi_schema("person_signup", "Person signup helper: match by email or create; add/remove tags", body=True)
    def post(self, request):
        """The person signup helper: {"person": {...}, "add_tags": [...], "remove_tags": [...]}."""
        body = self.body()
        add = tag_names(body.get("add_tags", []), "add_tags")
        remove = tag_names(body.get("remove_tags", []), "remove_tags")
        if "person" not in body:
            raise DomainError("validation_error", "person: This field is required.", field="person")
        person = person_input(body["person"], prefix="person.", add_tags=add)
        result = services.person_signup(organization=self.organization, person=person, remove_tags=remove,
                                        actor=self.actor)
        # a match on a person private to other members answers as a creation (contacts.batch.UpsertResult)
        created = result.outcome == "created" or result.new_to_caller
        return self.person_response(result.contact, status=201 if created else 200)


class PersonView(OsdiView):
    @osdi_schema("person_get", "One person")
    def get(self, request, pk):
        return self.person_response(self.person(pk))

    @osdi_schema("person_update", "Update a person", body=True)
    def put(self, request, pk):
        person = person_input(self.body(), update=True)
        result = services.person_update(organization=self.organization, contact_id=as_uuid(pk), person=person,
                                        actor=self.actor)
        return self.person_response(result.contact)


class PersonTaggingsView(OsdiView):
    @osdi_schema("person_taggings", "A person's taggings", listing=True)
    def get(self, request, pk):
        queryset = filters.filter_dates(request, self.taggings().filter(contact=self.person(pk)),
                                       modified="created_at")
        return Response(paginate(request, queryset, kind="taggings", render=self.render_taggings))


class TagsView(OsdiView):
    @osdi_schema("tags_list", "List tags", listing=True)
    def get(self, request):
        queryset = filters.filter_tags(request, Tag.objects.visible_to(self.organization)).order_by("created_at",
                                                                                                      "id")
        return Response(paginate(request, queryset, kind="tags",
                                 render=lambda rows: [tag_record(request, t) for t in rows]))

    @osdi_schema("tag_create", "Create a tag (or return the one of that name)", body=True)
    def post(self, request):
        name = self.body().get("name")
        if not isinstance(name, str) or len(name) > 100:
            raise DomainError("validation_error", "name: a tag name of at most 100 characters is required.",
                              field="name")
        tag, created = services.tag_create(organization=self.organization, name=name)
        return Response(tag_record(request, tag), status=201 if created else 200)


class TagView(OsdiView):
    @osdi_schema("tag_get", "One tag")
    def get(self, request, pk):
        return Response(tag_record(request, self.tag(pk)))


class TagTaggingsView(OsdiView):
    @osdi_schema("tag_taggings", "A tag's taggings", listing=True)
    def get(self, request, pk):
        queryset = filters.filter_dates(request, self.taggings().filter(tag=self.tag(pk)),
                                       modified="created_at")
        return Response(paginate(request, queryset, kind="taggings", render=self.render_taggings))

    @osdi_schema("tagging_create", "Tag a person named by _links.osdi:person.href", body=True)
    def post(self, request, pk):
        tag = self.tag(pk)
        tagging, created = services.tagging_add(organization=self.organization, tag=tag, actor=self.actor,
                                                contact_id=services.id_from_href(person_href(self.body())))
        return Response(tagging_record(request, tagging), status=201 if created else 200)


class TaggingView(OsdiView):
    @osdi_schema("tagging_get", "One tagging")
    def get(self, request, pk, person_pk):
        tagging = self.taggings().filter(tag=self.tag(pk), contact_id=as_uuid(person_pk)).first()
        if tagging is None:
            raise not_found()
        return Response(tagging_record(request, tagging))

    @osdi_schema("tagging_delete", "Remove a tagging")
    def delete(self, request, pk, person_pk):
        services.tagging_remove(organization=self.organization, tag=self.tag(pk), contact_id=as_uuid(person_pk))
        return Response({"notice": "This tagging was successfully deleted."})
