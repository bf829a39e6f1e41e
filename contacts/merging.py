"""Merging two contacts, and undoing a merge.

The registry: every model with a foreign key to Contact registers it once, from its AppConfig.ready():

    from contacts import merging
    merging.register(Signup, "contact")

A merge moves the rows of every registered relation from the merged contact to the survivor, one UPDATE per
relation, and records the moved primary keys on a ContactMerge row, so `merge_undo` can move exactly those back.
A row that cannot move because the survivor already has its twin (a unique constraint: the same email, the same
organization's link, the same tag) stays on the merged contact, which keeps it (values are never lost) and stays
resolvable: its id answers with the survivor. `supplied_by` of such twin values is united on the survivor (and
restored by undo).
"""
from django.db import IntegrityError, transaction
from django.utils import timezone

from organizations.errors import DomainError
from organizations.services import actor_label, audit_record

from .changes import lock_coalition, new_change, write_changes
from .models import Contact, ContactEmail, ContactMerge, ContactPhone, SuppliedValue
from .normalize import name_key

_RELATIONS: dict[str, tuple] = {}


def register(model, field: str) -> None:
    """Declare that `model.field` points at a Contact and must follow it through merges."""
    _RELATIONS[f"{model._meta.label_lower}.{field}"] = (model, field)


def registered() -> dict[str, tuple]:
    return dict(_RELATIONS)


def _twin_key(row):
    if isinstance(row, ContactEmail):
        return row.normalized.upper()
    if isinstance(row, ContactPhone):
        return row.number
    return (row.household_key or row.line1.upper(), row.postal_code)


@transaction.atomic
def contacts_merge(*, organization, survivor: Contact, merged: Contact, actor=None) -> ContactMerge:
    if survivor.pk == merged.pk:
        raise DomainError("invalid", "A contact cannot be merged into itself.", field="other")
    if survivor.coalition_id != merged.coalition_id:
        raise DomainError("not_found", "Not found.", status=404)
    lock_coalition(survivor.coalition_id)
    survivor = Contact.objects.select_for_update().get(pk=survivor.pk)
    merged = Contact.objects.select_for_update().get(pk=merged.pk)
    if survivor.merged_into_id or merged.merged_into_id:
        raise DomainError("conflict", "One of these contacts was merged already.", status=409)
    previous = {name: getattr(survivor, name) for name in ("given_name", "family_name", "language")}
    previous["coalition_shared"] = survivor.coalition_shared
    previous["supplied_by"] = {}
    for name in ("given_name", "family_name", "language"):
        if not getattr(survivor, name) and getattr(merged, name):
            setattr(survivor, name, getattr(merged, name))
    moved = {}
    for label, (model, field) in _RELATIONS.items():
        pks = list(model.objects.filter(**{field: merged}).values_list("pk", flat=True))
        if not pks:
            continue
        try:
            with transaction.atomic():
                model.objects.filter(pk__in=pks).update(**{field: survivor})
            moved[label] = [str(pk) for pk in pks]
            continue
        except IntegrityError:
            pass
        moved[label] = []
        for row in model.objects.filter(pk__in=pks):  # some rows have a twin on the survivor: move the others
            try:
                with transaction.atomic():
                    model.objects.filter(pk=row.pk).update(**{field: survivor})
                moved[label].append(str(row.pk))
            except IntegrityError:
                if isinstance(row, SuppliedValue):
                    twins = {_twin_key(t): t for t in model.objects.filter(contact=survivor)}
                    twin = twins.get(_twin_key(row))
                    if twin is not None and set(row.supplied_by) - set(twin.supplied_by):
                        previous["supplied_by"][f"{label}:{twin.pk}"] = [str(o) for o in twin.supplied_by]
                        twin.supplied_by = sorted(set(twin.supplied_by) | set(row.supplied_by), key=str)
                        twin.save(update_fields=["supplied_by"])
    from .consent import refresh_coalition_shared

    survivor.given_key, survivor.family_key = name_key(survivor.given_name), name_key(survivor.family_name)
    survivor.modified_at = timezone.now()
    survivor.save()
    refresh_coalition_shared(survivor)
    Contact.objects.filter(pk=merged.pk).update(merged_into=survivor, modified_at=timezone.now())
    record = ContactMerge.objects.create(organization=organization, survivor=survivor, merged=merged, moved=moved,
                                         previous=previous, actor_label=actor_label(actor))
    from .models import PossibleDuplicate
    PossibleDuplicate.objects.filter(contact__in=[survivor, merged], other__in=[survivor, merged]).update(
        status="merged")
    audit_record(organization=organization, actor=actor, verb="contact.merged", obj=survivor,
                 details={"merged": str(merged.pk), "merge": str(record.pk),
                          "moved": {k: len(v) for k, v in moved.items()}})
    write_changes([new_change(merged, "merged", into=str(survivor.pk)), new_change(survivor, "updated")])
    return record


@transaction.atomic
def merge_undo(*, organization, merge: ContactMerge, actor=None) -> ContactMerge:
    if merge.undone_at is not None:
        raise DomainError("conflict", "This merge was undone already.", status=409)
    lock_coalition(merge.survivor.coalition_id)
    survivor = Contact.objects.select_for_update().get(pk=merge.survivor_id)
    merged = Contact.objects.select_for_update().get(pk=merge.merged_id)
    if ContactMerge.objects.filter(merged=survivor, undone_at__isnull=True).exists():
        raise DomainError("conflict", "The survivor was merged again since: undo that merge first.", status=409)
    for label, pks in merge.moved.items():
        if label in _RELATIONS and pks:
            model, field = _RELATIONS[label]
            model.objects.filter(pk__in=pks, **{field: survivor}).update(**{field: merged})
    for key, supplied_by in merge.previous.get("supplied_by", {}).items():
        label, pk = key.rsplit(":", 1)
        model, _ = _RELATIONS[label]
        model.objects.filter(pk=pk).update(supplied_by=supplied_by)
    for name in ("given_name", "family_name", "language"):
        setattr(survivor, name, merge.previous.get(name, getattr(survivor, name)))
    survivor.given_key, survivor.family_key = name_key(survivor.given_name), name_key(survivor.family_name)
    now = timezone.now()
    survivor.modified_at = now
    survivor.save()
    Contact.objects.filter(pk=merged.pk).update(merged_into=None, modified_at=now)
    merged.refresh_from_db()
    from .consent import refresh_coalition_shared
    refresh_coalition_shared(survivor)
    refresh_coalition_shared(merged)
    merge.undone_at = now
    merge.save(update_fields=["undone_at"])
    audit_record(organization=organization, actor=actor, verb="contact.merge_undone", obj=merge,
                 details={"survivor": str(survivor.pk), "merged": str(merged.pk)})
    write_changes([new_change(survivor, "updated"), new_change(merged, "updated")])
    return merge


def register_contact_relations() -> None:
    """The contacts app's own relations (called from ContactsConfig.ready)."""
    from .models import (Consent, ContactAddress, OrganizationContact, PossibleDuplicate, Tagging)

    for model, field in ((ContactEmail, "contact"), (ContactPhone, "contact"), (ContactAddress, "contact"),
                         (OrganizationContact, "contact"), (Tagging, "contact"), (Consent, "contact"),
                         (PossibleDuplicate, "contact"), (PossibleDuplicate, "other")):
        register(model, field)
