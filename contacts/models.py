"""One human is one Contact, coalition-wide; organizations hold it through OrganizationContact links.

Visibility (DESIGN.md section 4) lives in ContactQuerySet.visible_to: an organization sees a contact it holds, or
one that has a current coalition-scope opt-in (`coalition_shared`, kept in step by contacts.consent).
What a non-holder may see of such a contact is decided in contacts.sharing.
"""
import uuid

from django.conf import settings
from django.contrib.postgres.fields import ArrayField
from django.db import models
from django.db.models import Exists, OuterRef, Q
from django.db.models.functions import Upper
from django.utils import timezone

from organizations.models import ApiKey, Coalition, Organization
from organizations.tenancy import TenantQuerySet

CHANNELS = [("email", "email"), ("sms", "sms"), ("call", "call"), ("mail", "mail")]


class ContactQuerySet(TenantQuerySet):
    def live(self):
        return self.filter(merged_into__isnull=True, erased_at__isnull=True)

    def visible_to(self, organization):
        if organization is None:
            return self.none()
        held = OrganizationContact.objects.filter(organization=organization, contact=OuterRef("pk"))
        return self.live().filter(coalition_id=organization.coalition_id).filter(
            Q(coalition_shared=True) | Exists(held))

    def held_by(self, organization):
        return self.live().filter(links__organization=organization)

    def writable_by(self, organization):
        """A coalition-shared contact may be updated by any member: the write makes that member a holder."""
        return self.visible_to(organization)


class Contact(models.Model):
    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    coalition = models.ForeignKey(Coalition, on_delete=models.PROTECT, related_name="contacts",
                                  db_index=False)  # contact_name_keys leads with it
    given_name = models.CharField(max_length=200, blank=True)
    family_name = models.CharField(max_length=200, blank=True)
    language = models.CharField(max_length=16, blank=True, help_text="preferred language, BCP 47 (en, es, ...)")
    # matching keys (contacts.normalize.name_key)
    given_key = models.CharField(max_length=200, blank=True, editable=False)
    family_key = models.CharField(max_length=200, blank=True, editable=False)
    coalition_shared = models.BooleanField(default=False, help_text="has a current coalition-scope opt-in (derived)")
    merged_into = models.ForeignKey("self", null=True, blank=True, on_delete=models.SET_NULL,
                                    related_name="merged_from", db_index=False)
    erased_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(default=timezone.now, db_index=True)
    modified_at = models.DateTimeField(default=timezone.now, db_index=True)

    objects = ContactQuerySet.as_manager()

    class Meta:
        # Every index is written by each bulk insert: none that another one covers (contact_name_keys serves
        # coalition and (coalition, family key) lookups); partial ones for rare values, which a new row skips.
        indexes = [models.Index(fields=["coalition", "family_key", "given_key"], name="contact_name_keys"),
                   models.Index(fields=["coalition"], condition=Q(coalition_shared=True), name="contact_shared"),
                   models.Index(fields=["merged_into"], condition=Q(merged_into__isnull=False),
                                name="contact_merged_into")]

    def __str__(self):
        return f"{self.given_name} {self.family_name}".strip() or str(self.id)


class SuppliedValue(models.Model):
    """A contact detail, remembering which organizations supplied it: a holder sees the details it supplied
    itself; others' details only as contacts.sharing allows."""

    supplied_by = ArrayField(models.UUIDField(), default=list, blank=True)

    class Meta:
        abstract = True


class ContactEmail(SuppliedValue):
    contact = models.ForeignKey(Contact, on_delete=models.CASCADE, related_name="emails")
    address = models.CharField(max_length=254, help_text="as given")
    normalized = models.CharField(max_length=254)
    primary = models.BooleanField(default=False)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["-primary", "id"]
        # also the index of the UPPER(normalized) match lookup (contacts.batch)
        constraints = [models.UniqueConstraint(Upper("normalized"), "contact", name="one_email_per_contact")]


class ContactPhone(SuppliedValue):
    TYPES = [("mobile", "mobile"), ("landline", "landline"), ("voip", "voip"), ("unknown", "unknown")]
    contact = models.ForeignKey(Contact, on_delete=models.CASCADE, related_name="phones",
                                db_index=False)  # one_phone_per_contact leads with it
    raw = models.CharField(max_length=64, help_text="as given")
    number = models.CharField(max_length=20, help_text="E.164")
    type = models.CharField(max_length=10, choices=TYPES, default="unknown")
    primary = models.BooleanField(default=False)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["-primary", "id"]
        constraints = [models.UniqueConstraint(fields=["contact", "number"], name="one_phone_per_contact")]
        indexes = [models.Index(fields=["number"], name="contact_phone_number")]  # equality only: no LIKE index


class ContactAddress(SuppliedValue):
    PRECISION = [("exact", "exact"), ("zip_centroid", "zip_centroid"), ("none", "none")]
    contact = models.ForeignKey(Contact, on_delete=models.CASCADE, related_name="addresses")
    line1 = models.CharField(max_length=200, blank=True)
    line2 = models.CharField(max_length=200, blank=True)
    city = models.CharField(max_length=100, blank=True)
    state = models.CharField(max_length=2, blank=True)
    postal_code = models.CharField(max_length=10, blank=True, db_index=True)
    number = models.CharField(max_length=20, blank=True)
    street = models.CharField(max_length=200, blank=True)
    unit = models.CharField(max_length=40, blank=True)
    household_key = models.CharField(max_length=300, blank=True)
    latitude = models.FloatField(null=True, blank=True)
    longitude = models.FloatField(null=True, blank=True)
    precision = models.CharField(max_length=12, choices=PRECISION, default="none")
    parsed = models.BooleanField(default=False, help_text="usaddress read line1 into number/street/unit")
    primary = models.BooleanField(default=False)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["-primary", "id"]


class OrganizationContactQuerySet(TenantQuerySet):
    pass


class OrganizationContact(models.Model):
    """An organization's hold on a contact, with everything private to that organization."""

    organization = models.ForeignKey(Organization, on_delete=models.CASCADE, related_name="contact_links",
                                     db_index=False)  # one_link_per_org_contact leads with it
    contact = models.ForeignKey(Contact, on_delete=models.CASCADE, related_name="links")
    external_id = models.CharField(max_length=200, null=True, blank=True)
    source = models.CharField(max_length=40, blank=True, help_text="api, import, form, staff, walk_in, ...")
    first_seen_at = models.DateTimeField(default=timezone.now)
    notes = models.TextField(blank=True)
    custom_fields = models.JSONField(default=dict, blank=True)
    created_at = models.DateTimeField(default=timezone.now)
    modified_at = models.DateTimeField(default=timezone.now)

    objects = OrganizationContactQuerySet.as_manager()

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["organization", "contact"], name="one_link_per_org_contact"),
            models.UniqueConstraint(fields=["organization", "external_id"], condition=Q(external_id__isnull=False),
                                    name="external_id_unique_per_org"),
        ]


class TagQuerySet(TenantQuerySet):
    def visible_to(self, organization):
        if organization is None:
            return self.none()
        return self.filter(Q(organization=organization) |
                           Q(organization__isnull=True, coalition_id=organization.coalition_id))

    def writable_by(self, organization):
        return self.filter(organization=organization) if organization else self.none()


class Tag(models.Model):
    """A label: private to one organization, or coalition-wide (organization empty)."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    coalition = models.ForeignKey(Coalition, on_delete=models.CASCADE, related_name="tags")
    organization = models.ForeignKey(Organization, null=True, blank=True, on_delete=models.CASCADE,
                                     related_name="tags", help_text="empty: a coalition-wide tag")
    name = models.CharField(max_length=100)
    created_at = models.DateTimeField(default=timezone.now)

    objects = TagQuerySet.as_manager()

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["organization", "name"], condition=Q(organization__isnull=False),
                                    name="tag_name_unique_per_org"),
            models.UniqueConstraint(fields=["coalition", "name"], condition=Q(organization__isnull=True),
                                    name="tag_name_unique_coalition_wide"),
        ]

    def __str__(self):
        return self.name


class Tagging(models.Model):
    tag = models.ForeignKey(Tag, on_delete=models.CASCADE, related_name="taggings",
                            db_index=False)  # one_tagging_per_tag_contact leads with it
    contact = models.ForeignKey(Contact, on_delete=models.CASCADE, related_name="taggings")
    organization = models.ForeignKey(Organization, on_delete=models.CASCADE, related_name="+",
                                     help_text="who applied it")
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["tag", "contact"], name="one_tagging_per_tag_contact")]


class Consent(models.Model):
    """One consent event. Append-only: the current state is the latest event per (channel, scope, organization)."""

    STATUS = [("opt_in", "opt_in"), ("opt_out", "opt_out")]
    SCOPES = [("organization", "organization"), ("coalition", "coalition")]
    SOURCES = [("form", "form"), ("import", "import"), ("api", "api"), ("staff", "staff"), ("merge", "merge")]

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    contact = models.ForeignKey(Contact, on_delete=models.CASCADE, related_name="consents")
    channel = models.CharField(max_length=8, choices=CHANNELS)
    scope = models.CharField(max_length=12, choices=SCOPES)
    organization = models.ForeignKey(Organization, null=True, blank=True, on_delete=models.CASCADE,
                                     related_name="+", help_text="the organization this consent is for "
                                     "(scope organization); empty for coalition scope")
    recorded_by = models.ForeignKey(Organization, on_delete=models.CASCADE, related_name="+")
    status = models.CharField(max_length=8, choices=STATUS)
    source = models.CharField(max_length=10, choices=SOURCES)
    text = models.TextField(blank=True, help_text="the exact consent wording shown to the person")
    ip_address = models.GenericIPAddressField(null=True, blank=True)
    captured_at = models.DateTimeField(default=timezone.now)
    recorded_at = models.DateTimeField(default=timezone.now)
    actor_key = models.ForeignKey(ApiKey, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    actor_user = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL,
                                   related_name="+")

    class Meta:
        ordering = ["captured_at", "recorded_at"]
        indexes = [models.Index(fields=["contact", "channel", "scope", "organization", "-captured_at"],
                                name="consent_current")]


class PossibleDuplicate(models.Model):
    """A weak match recorded for a person to review; never merged automatically."""

    STATUS = [("open", "open"), ("merged", "merged"), ("dismissed", "dismissed")]
    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    contact = models.ForeignKey(Contact, on_delete=models.CASCADE, related_name="+")
    other = models.ForeignKey(Contact, on_delete=models.CASCADE, related_name="+")
    reasons = ArrayField(models.CharField(max_length=40), default=list)
    organization = models.ForeignKey(Organization, on_delete=models.CASCADE, related_name="+",
                                     help_text="whose write raised it")
    status = models.CharField(max_length=10, choices=STATUS, default="open")
    created_at = models.DateTimeField(default=timezone.now)

    objects = TenantQuerySet.as_manager()

    class Meta:
        constraints = [models.UniqueConstraint(fields=["contact", "other"], name="one_duplicate_per_pair")]


class ContactChange(models.Model):
    """The change feed: one row per created / updated / merged / deleted event, in commit order of `seq`.
    `organization` set means only that organization's feed carries it (its link was deleted)."""

    KINDS = [("created", "created"), ("updated", "updated"), ("merged", "merged"), ("deleted", "deleted")]
    seq = models.BigAutoField(primary_key=True)
    # indexed by contact_change_feed, contact_change_contact and (rarely set) contact_change_organization
    coalition = models.ForeignKey(Coalition, null=True, on_delete=models.CASCADE, related_name="+", db_index=False)
    contact = models.ForeignKey(Contact, on_delete=models.DO_NOTHING, db_constraint=False, related_name="+",
                                db_index=False)
    kind = models.CharField(max_length=10, choices=KINDS)
    organization = models.ForeignKey(Organization, null=True, blank=True, on_delete=models.CASCADE,
                                     related_name="+", db_index=False)
    details = models.JSONField(default=dict, blank=True)
    created_at = models.DateTimeField(default=timezone.now)
    # a partner was subscribed to contact webhooks when it was written: the notifier (contacts.notify) renders it
    notify = models.BooleanField(default=False)

    class Meta:
        indexes = [models.Index(fields=["coalition", "seq"], name="contact_change_feed"),
                   models.Index(fields=["coalition", "seq"], condition=Q(notify=True), name="contact_change_notify"),
                   models.Index(fields=["contact"], name="contact_change_contact"),
                   models.Index(fields=["organization"], condition=Q(organization__isnull=False),
                                name="contact_change_organization")]


class PartnerNotifyCursor(models.Model):
    """How far contacts.notify has turned a coalition's change rows into webhooks: every change with
    notify=True and seq <= `seq` is emitted."""

    coalition = models.OneToOneField(Coalition, primary_key=True, on_delete=models.CASCADE, related_name="+")
    seq = models.BigIntegerField(default=0)


class ContactMergeQuerySet(TenantQuerySet):
    pass


class ContactMerge(models.Model):
    """What a merge did, so it can be undone: the rows moved from `merged` to `survivor` (per registered
    relation, contacts.merging) and the survivor's values before the merge."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    organization = models.ForeignKey(Organization, on_delete=models.CASCADE, related_name="+",
                                     help_text="who merged")
    survivor = models.ForeignKey(Contact, on_delete=models.CASCADE, related_name="+")
    merged = models.ForeignKey(Contact, on_delete=models.CASCADE, related_name="+")
    moved = models.JSONField(default=dict, help_text='{"app.model.field": [pk, ...]}')
    previous = models.JSONField(default=dict, help_text="survivor values before the merge")
    actor_label = models.CharField(max_length=200, blank=True)
    created_at = models.DateTimeField(default=timezone.now)
    undone_at = models.DateTimeField(null=True, blank=True)

    objects = ContactMergeQuerySet.as_manager()

    class Meta:
        ordering = ["-created_at"]
