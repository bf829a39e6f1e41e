"""What OSDI writes need beyond contacts.services: tags by id and taggings by person link.
Person writes go through contacts.services.contact_upsert (and tags_change), like every other way a person
enters, so matching, consent, the change feed and its webhooks follow one set of rules."""
import re
import uuid

from django.db import transaction
from django.utils import timezone

from contacts.changes import lock_contact, record_change
from contacts.models import Contact, Tag, Tagging
from contacts.services import UpsertResult, contact_for_write, contact_upsert, tags_change
from organizations.errors import Conflict, DomainError

_TRAILING_ID = re.compile(r"/([0-9a-fA-F-]{32,36})/?$")


def id_from_href(href) -> uuid.UUID:
    """The id at the end of a link's path, whatever its host: partners send links built on their own base URL
    (parsons' create_submission always says https://actionnetwork.org/api/v2/people/<id>)."""
    match = _TRAILING_ID.search(str(href).split("?", 1)[0].split("#", 1)[0])
    try:
        return uuid.UUID(match.group(1))
    except (AttributeError, ValueError):
        raise DomainError("invalid_link", "_links.osdi:person.href must end with a person's id",
                          field="_links.osdi:person.href") from None


@transaction.atomic
def person_signup(*, organization, person: dict, remove_tags: list[str], actor) -> UpsertResult:
    """The person signup helper: match (the same email is the same person) or create, then add and remove tags."""
    result = contact_upsert(organization=organization, person=person, source="api", actor=actor)
    if remove_tags:
        tags_change(organization=organization, contact=result.contact, remove=remove_tags, actor=actor)
    return result


def person_update(*, organization, contact_id, person: dict, actor) -> UpsertResult:
    contact = contact_for_write(organization, contact_id)
    return contact_upsert(organization=organization, person=person, source="api", actor=actor, contact=contact)


def usable_tag(organization, name: str) -> Tag | None:
    """The tag a name means for the organization: its own, else a coalition-wide one (as tagging by name does)."""
    return (Tag.objects.filter(organization=organization, name=name).first()
            or Tag.objects.filter(organization__isnull=True, coalition_id=organization.coalition_id,
                                  name=name).first())


def tag_create(*, organization, name: str) -> tuple[Tag, bool]:
    """The tag of this name the organization already uses, or a new tag of its own (Action Network answers a
    repeated name with the existing tag)."""
    name = name.strip()
    if not name:
        raise DomainError("validation_error", "A tag needs a name.", field="name")
    existing = usable_tag(organization, name)
    if existing:
        return existing, False
    return Tag.objects.create(coalition_id=organization.coalition_id, organization=organization, name=name), True


def tagging_add(*, organization, tag: Tag, contact_id, actor) -> tuple[Tagging, bool]:
    """Tag a person the organization may write with a tag it may use, through contacts.services.tags_change
    (so the organization holds the person afterwards, as with /api/v1/contacts/{id}/tags/)."""
    contact = contact_for_write(organization, contact_id)
    if usable_tag(organization, tag.name) != tag:
        raise Conflict("tag_shadowed", f"Your own tag {tag.name!r} has the name of this coalition-wide tag; "
                       "tag with your own tag.", field="_links.osdi:tag")
    existed = Tagging.objects.filter(tag=tag, contact=contact).exists()
    tags_change(organization=organization, contact=contact, add=[tag.name], actor=actor)
    return Tagging.objects.get(tag=tag, contact=contact), not existed


@transaction.atomic
def tagging_remove(*, organization, tag: Tag, contact_id) -> None:
    """Remove one tagging: the rule of tags_change (a tag the organization may see, on a person it may write),
    addressed by the tag's id rather than its name."""
    contact = contact_for_write(organization, contact_id)
    lock_contact(contact)
    deleted, _ = Tagging.objects.filter(tag=tag, contact=contact).delete()
    if not deleted:
        raise DomainError("not_found", "Not found.", status=404)
    Contact.objects.filter(pk=contact.pk).update(modified_at=timezone.now())
    record_change(contact, "updated")
