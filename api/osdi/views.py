"""OSDI endpoints. Thin: tenancy through `visible_to`, writes through services, records through serializers.
Unknown, malformed and foreign ids are the same 404."""
import uuid

from rest_framework.parsers import JSONParser
from rest_framework.renderers import JSONRenderer
from rest_framework.response import Response
from rest_framework.views import APIView

from api.authentication import ApiKeyAuthentication
from api.context import caller_actor, caller_organization
from api.permissions import HasScope
from contacts.models import Contact, Tag, Tagging
from contacts.services import resolve
from contacts.sharing import PREFETCH
from organizations.errors import DomainError

from . import filters, services
from .authentication import OsdiTokenAuthentication
from .pagination import paginate
from .serializers import href, person_input, person_record, tag_names, tag_record, tagging_record


class HalJsonRenderer(JSONRenderer):
    media_type = "application/hal+json"


class HalJsonParser(JSONParser):
    media_type = "application/hal+json"


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


class OsdiView(APIView):
    authentication_classes = [OsdiTokenAuthentication, ApiKeyAuthentication]
    permission_classes = [HasScope]
    renderer_classes = [HalJsonRenderer, JSONRenderer]
    parser_classes = [JSONParser, HalJsonParser]
    scope_family = "contacts"

    @property
    def organization(self):
        return caller_organization(self.request)

    @property
    def actor(self):
        return caller_actor(self.request)

    def body(self) -> dict:
        data = self.request.data
        if not isinstance(data, dict):
            raise DomainError("validation_error", "The body must be a JSON object.", field="non_field_errors")
        return data

    # people
    def people(self):
        return Contact.objects.visible_to(self.organization)

    def render_people(self, contacts):
        ids = [c.pk for c in contacts]
        loaded = {c.pk: c for c in Contact.objects.filter(pk__in=ids).prefetch_related(*PREFETCH)}
        return [person_record(self.request, loaded[pk], self.organization) for pk in ids]

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

    def get(self, request):
        links = {f"osdi:{kind}": {"href": href(request, kind)} for kind in ("people", "tags")}
        links["osdi:person_signup_helper"] = {"href": href(request, "people")}
        links["self"] = {"href": href(request, "")}
        return Response({"motd": "Coalition OSDI API", "vendor_name": "Coalition", "product_name": "Coalition CRM",
                         "osdi_version": "1.0", "max_pagesize": 100, "_links": links})


class PeopleView(OsdiView):
    def get(self, request):
        queryset = filters.filter_people(request, self.organization, self.people()).order_by("created_at", "id")
        return Response(paginate(request, queryset, kind="people", render=self.render_people))

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
        return self.person_response(result.contact, status=201 if result.outcome == "created" else 200)


class PersonView(OsdiView):
    def get(self, request, pk):
        return self.person_response(self.person(pk))

    def put(self, request, pk):
        person = person_input(self.body(), update=True)
        result = services.person_update(organization=self.organization, contact_id=as_uuid(pk), person=person,
                                        actor=self.actor)
        return self.person_response(result.contact)


class PersonTaggingsView(OsdiView):
    def get(self, request, pk):
        queryset = filters.filter_taggings(request, self.taggings().filter(contact=self.person(pk)))
        return Response(paginate(request, queryset, kind="taggings", render=self.render_taggings))


class TagsView(OsdiView):
    def get(self, request):
        queryset = filters.filter_tags(request, Tag.objects.visible_to(self.organization)).order_by("created_at",
                                                                                                      "id")
        return Response(paginate(request, queryset, kind="tags",
                                 render=lambda rows: [tag_record(request, t) for t in rows]))

    def post(self, request):
        name = self.body().get("name")
        if not isinstance(name, str) or len(name) > 100:
            raise DomainError("validation_error", "name: a tag name of at most 100 characters is required.",
                              field="name")
        tag, created = services.tag_create(organization=self.organization, name=name)
        return Response(tag_record(request, tag), status=201 if created else 200)


class TagView(OsdiView):
    def get(self, request, pk):
        return Response(tag_record(request, self.tag(pk)))


class TagTaggingsView(OsdiView):
    def get(self, request, pk):
        queryset = filters.filter_taggings(request, self.taggings().filter(tag=self.tag(pk)))
        return Response(paginate(request, queryset, kind="taggings", render=self.render_taggings))

    def post(self, request, pk):
        tag = self.tag(pk)
        tagging, created = services.tagging_add(organization=self.organization, tag=tag,
                                                contact_id=services.id_from_href(person_href(self.body())))
        return Response(tagging_record(request, tagging), status=201 if created else 200)


class TaggingView(OsdiView):
    def get(self, request, pk, person_pk):
        tagging = self.taggings().filter(tag=self.tag(pk), contact_id=as_uuid(person_pk)).first()
        if tagging is None:
            raise not_found()
        return Response(tagging_record(request, tagging))

    def delete(self, request, pk, person_pk):
        services.tagging_remove(organization=self.organization, tag_id=self.tag(pk).pk,
                                contact_id=as_uuid(person_pk))
        return Response({"notice": "This tagging was successfully deleted."})
