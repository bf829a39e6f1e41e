"""What OSDI writes need beyond contacts.services: tags by id, taggings by person link, and tag removal.
Person writes themselves go through contacts.services.contact_upsert, like every other way a person enters."""
import re
import uuid

from django.db import transaction
from django.utils import timezone

from contacts.models import Contact, Tag, Tagging
from contacts.services import UpsertResult, contact_for_write, contact_upsert, record_change
from organizations.errors import DomainError

_TRAILING_ID = re.compile(r"/([0-9a-fA-F-]{32,36})/?$")


def id_from_href(href) -> uuid.UUID:
    """The id at the end of a link's path, whatever its host: partners send links built on their own base URL
    (parsons' create_submission always says https://actionnetwork.org/api/v2/people/<id>)."""
    path = str(href).split("?", 1)[0].split("#", 1)[0]
    match = _TRAILING_ID.search(path)
    try:
        return uuid.UUID(match.group(1)) if match else uuid.UUID("")
    except ValueError:
        raise DomainError("invalid_link", "_links.osdi:person.href must end with a person's id",
                          field="_links.osdi:person.href") from None


def _touch(contact: Contact) -> None:
    Contact.objects.filter(pk=contact.pk).update(modified_at=timezone.now())
    record_change(contact, "updated")


@transaction.atomic
def person_signup(*, organization, person: dict, remove_tags: list[str], actor) -> UpsertResult:
    """The person signup helper: match (the same email is the same person) or create, then add and remove tags."""
    result = contact_upsert(organization=organization, person=person, source="api", actor=actor)
    if remove_tags and tags_remove(contact=result.contact, organization=organization, names=remove_tags):
        _touch(result.contact)
    return result


@transaction.atomic
def person_update(*, organization, contact_id, person: dict, actor) -> UpsertResult:
    contact = contact_for_write(organization, contact_id)
    return contact_upsert(organization=organization, person=person, source="api", actor=actor, contact=contact)


def tags_remove(*, contact: Contact, organization, names: list[str]) -> bool:
    """Remove the organization's own tags of these names (and coalition-wide ones it applied itself)."""
    deleted, _ = removable_taggings(organization).filter(contact=contact, tag__name__in=names).delete()
    return bool(deleted)


def removable_taggings(organization):
    from django.db.models import Q
    return Tagging.objects.filter(Q(tag__organization=organization) |
                                  Q(tag__organization__isnull=True, tag__coalition_id=organization.coalition_id,
                                    organization=organization))


def tag_create(*, organization, name: str) -> tuple[Tag, bool]:
    """A tag of this name the organization already uses (its own, else a coalition-wide one, as tagging by name
    does), or a new tag of its own."""
    name = name.strip()
    if not name:
        raise DomainError("validation_error", "A tag needs a name.", field="name")
    existing = (Tag.objects.filter(organization=organization, name=name).first()
                or Tag.objects.filter(organization__isnull=True, coalition_id=organization.coalition_id,
                                      name=name).first())
    if existing:
        return existing, False
    return Tag.objects.create(coalition_id=organization.coalition_id, organization=organization, name=name), True


@transaction.atomic
def tagging_add(*, organization, tag: Tag, contact_id) -> tuple[Tagging, bool]:
    """Tag a person the organization may write with one of the tags it may see (its own or coalition-wide)."""
    contact = contact_for_write(organization, contact_id)
    tagging, created = Tagging.objects.get_or_create(tag=tag, contact=contact,
                                                     defaults={"organization": organization})
    if created:
        _touch(contact)
    return tagging, created


@transaction.atomic
def tagging_remove(*, organization, tag_id, contact_id) -> None:
    tagging = removable_taggings(organization).filter(tag_id=tag_id, contact_id=contact_id).select_related(
        "contact").first()
    if tagging is None:
        raise DomainError("not_found", "Not found.", status=404)
    tagging.delete()
    _touch(tagging.contact)
