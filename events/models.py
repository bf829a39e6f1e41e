"""Events (DESIGN.md section 6): an Event hosted by one member and co-hosted by others, its Shifts, and the
Signups of contacts with their status history.

Tenancy: EventQuerySet.visible_to(org) and SignupQuerySet.visible_to(org); what a co-host sees of signups is
decided in one place, events.sharing.
"""
import uuid

from django.contrib.postgres.fields import ArrayField
from django.db import connection, models
from django.db.models import Exists, OuterRef, Q
from django.utils import timezone as dj_timezone

from contacts.models import Contact
from organizations import rawsql
from organizations.models import Coalition, Organization, validate_timezone
from organizations.tenancy import TenantQuerySet


class EventKind(models.TextChoices):
    RALLY = "rally"
    CANVASS = "canvass"
    PHONE_BANK = "phone_bank"
    MEETING = "meeting"
    TRAINING = "training"
    LOBBY_DAY = "lobby_day"
    HEARING = "hearing"
    OTHER = "other"


class Visibility(models.TextChoices):
    PUBLIC = "public"
    COALITION = "coalition"
    PRIVATE = "private"


class EventStatus(models.TextChoices):
    DRAFT = "draft"
    PUBLISHED = "published"
    CANCELLED = "cancelled"
    COMPLETED = "completed"


class Sharing(models.TextChoices):
    ALL = "all"              # sees every signup
    RECRUITED = "recruited"  # full records of the people it recruited, counts for the rest
    TOTALS = "totals"        # counts only


# other members of the coalition see the events with these visibilities, in these states (visible_to)
MEMBERS_SEE = [Visibility.COALITION, Visibility.PUBLIC]
LISTED = [EventStatus.PUBLISHED, EventStatus.CANCELLED, EventStatus.COMPLETED]


class EventQuerySet(TenantQuerySet):
    def visible_to(self, organization):
        """The host and co-hosts see their events in any state; every member of the coalition sees its
        coalition and public events once they are no longer drafts."""
        if organization is None:
            return self.none()
        co_hosted = EventCoHost.objects.filter(event=OuterRef("pk"), organization=organization)
        return self.filter(Q(host=organization) | Exists(co_hosted) |
                           Q(coalition_id=organization.coalition_id, visibility__in=MEMBERS_SEE, status__in=LISTED))

    def writable_by(self, organization):
        """Changing an event (and its shifts) is the host's; members sign people up through
        events.services with the event read through visible_to."""
        return self.filter(host=organization) if organization else self.none()

    def public_for(self, organization):
        """Published public events hosted or co-hosted by `organization` (the unauthenticated listing)."""
        co_hosted = EventCoHost.objects.filter(event=OuterRef("pk"), organization=organization)
        return self.filter(Q(host=organization) | Exists(co_hosted), visibility=Visibility.PUBLIC,
                           status=EventStatus.PUBLISHED)


class Event(models.Model):
    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    coalition = models.ForeignKey(Coalition, on_delete=models.PROTECT, related_name="events")
    host = models.ForeignKey(Organization, on_delete=models.PROTECT, related_name="hosted_events")
    kind = models.CharField(max_length=20, choices=EventKind.choices)
    title = models.CharField(max_length=200)
    description = models.TextField(blank=True, help_text="HTML, sanitised with nh3 on write")
    starts_at = models.DateTimeField(db_index=True, help_text="stored in UTC")
    ends_at = models.DateTimeField()
    timezone = models.CharField(max_length=64, default="America/New_York", validators=[validate_timezone])
    is_virtual = models.BooleanField(default=False)
    venue = models.CharField(max_length=200, blank=True)
    line1 = models.CharField(max_length=200, blank=True)
    city = models.CharField(max_length=100, blank=True)
    state = models.CharField(max_length=2, blank=True)
    postal_code = models.CharField(max_length=10, blank=True)
    latitude = models.FloatField(null=True, blank=True)
    longitude = models.FloatField(null=True, blank=True)
    address_registrants_only = models.BooleanField(
        default=False, help_text="street address and coordinates shown only to registrants (and host/co-hosts)")
    virtual_url = models.URLField(max_length=500, blank=True, help_text="shown only to registrants")
    accessibility_notes = models.TextField(blank=True)
    visibility = models.CharField(max_length=10, choices=Visibility.choices, default=Visibility.COALITION)
    status = models.CharField(max_length=10, choices=EventStatus.choices, default=EventStatus.DRAFT, db_index=True)
    capacity = models.PositiveIntegerField(null=True, blank=True, help_text="empty: no limit")
    registration_deadline = models.DateTimeField(null=True, blank=True)
    tags = ArrayField(models.CharField(max_length=100), default=list, blank=True)
    check_in_started_at = models.DateTimeField(null=True, blank=True,
                                               help_text="first check-in: no-shows are marked after the end")
    no_shows_marked_at = models.DateTimeField(null=True, blank=True)
    revision = models.PositiveIntegerField(default=1, help_text="bumped by changes people are told about")
    created_at = models.DateTimeField(default=dj_timezone.now, db_index=True)
    modified_at = models.DateTimeField(default=dj_timezone.now)

    objects = EventQuerySet.as_manager()

    class Meta:
        ordering = ["starts_at"]
        indexes = [models.Index(fields=["coalition", "visibility", "status", "starts_at"])]

    def __str__(self):
        return self.title


class EventCoHost(models.Model):
    event = models.ForeignKey(Event, on_delete=models.CASCADE, related_name="co_hosts")
    organization = models.ForeignKey(Organization, on_delete=models.CASCADE, related_name="co_hosted_events")
    sharing = models.CharField(max_length=10, choices=Sharing.choices, default=Sharing.TOTALS)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["event", "organization"], name="one_cohost_per_event_org")]


class Shift(models.Model):
    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    event = models.ForeignKey(Event, on_delete=models.CASCADE, related_name="shifts")
    role = models.CharField(max_length=100, blank=True, help_text="marshal, speaker, check-in, ...")
    starts_at = models.DateTimeField()
    ends_at = models.DateTimeField()
    capacity = models.PositiveIntegerField(null=True, blank=True, help_text="empty: no limit")
    instructions = models.TextField(blank=True, help_text="private: for registrants and staff")
    created_at = models.DateTimeField(default=dj_timezone.now)

    class Meta:
        ordering = ["starts_at", "role"]


_VISIBLE_SHIFT_SQL = rawsql.Prepared("visible_shift", f"""
SELECT {rawsql.columns(Shift, "s")}, {rawsql.columns(Event, "e")}
FROM {Shift._meta.db_table} s JOIN {Event._meta.db_table} e ON e.id = s.event_id
WHERE s.id = %(shift)s AND e.id = %(event)s AND (
    e.host_id = %(organization)s
    OR EXISTS (SELECT 1 FROM {EventCoHost._meta.db_table} c
               WHERE c.event_id = e.id AND c.organization_id = %(organization)s)
    OR (e.coalition_id = %(coalition)s AND e.visibility = ANY(%(members_see)s) AND e.status = ANY(%(listed)s)))""")


def visible_shift(organization, event_id, shift_id) -> Shift | None:
    """Shift `shift_id` of event `event_id`, with its event, if Event.objects.visible_to(organization) holds that
    event; else None. The signup path's first read, in plain SQL: compiling it with the ORM cost 2.3 ms of CPU
    a signup. It is visible_to's rule again, which tests/events/test_visible_shift.py holds to visible_to case
    by case."""
    if organization is None:
        return None
    with connection.cursor() as cursor:
        _VISIBLE_SHIFT_SQL.execute(cursor, {
            "shift": shift_id, "event": event_id, "organization": organization.pk,
            "coalition": organization.coalition_id, "members_see": MEMBERS_SEE, "listed": LISTED})
        row = cursor.fetchone()
    if row is None:
        return None
    shift, shift.event = rawsql.instances(row, Shift, Event)
    return shift


class SignupStatus(models.TextChoices):
    REGISTERED = "registered"
    WAITLISTED = "waitlisted"
    CONFIRMED = "confirmed"
    CANCELLED = "cancelled"
    ATTENDED = "attended"
    NO_SHOW = "no_show"


#: statuses that hold a place against capacity
HOLDING = [SignupStatus.REGISTERED, SignupStatus.CONFIRMED, SignupStatus.ATTENDED]
#: statuses that count as a commitment for the overlap rule
ACTIVE = [SignupStatus.REGISTERED, SignupStatus.CONFIRMED, SignupStatus.WAITLISTED]


class SignupSource(models.TextChoices):
    FORM = "form"
    API = "api"
    STAFF = "staff"
    WALK_IN = "walk_in"


class SignupQuerySet(TenantQuerySet):
    def visible_to(self, organization):
        """Full records: see events.sharing (the one place that rule lives)."""
        from .sharing import full_signups_q
        if organization is None:
            return self.none()
        return self.filter(full_signups_q(organization))


class Signup(models.Model):
    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    event = models.ForeignKey(Event, on_delete=models.CASCADE, related_name="signups")
    shift = models.ForeignKey(Shift, null=True, blank=True, on_delete=models.PROTECT, related_name="signups")
    contact = models.ForeignKey(Contact, on_delete=models.CASCADE, related_name="signups")  # erasure removes them
    status = models.CharField(max_length=12, choices=SignupStatus.choices, db_index=True)
    recruited_by = models.ForeignKey(Organization, on_delete=models.PROTECT, related_name="recruited_signups")
    source = models.CharField(max_length=10, choices=SignupSource.choices, default=SignupSource.API)
    guests = models.PositiveSmallIntegerField(default=0)
    utm_source = models.CharField(max_length=200, blank=True)
    utm_medium = models.CharField(max_length=200, blank=True)
    utm_campaign = models.CharField(max_length=200, blank=True)
    utm_term = models.CharField(max_length=200, blank=True)
    utm_content = models.CharField(max_length=200, blank=True)
    referrer_url = models.URLField(max_length=1000, blank=True)
    checked_in_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(default=dj_timezone.now, db_index=True)
    modified_at = models.DateTimeField(default=dj_timezone.now)

    objects = SignupQuerySet.as_manager()

    class Meta:
        ordering = ["created_at"]
        constraints = [
            models.UniqueConstraint(fields=["contact", "shift"], condition=Q(shift__isnull=False),
                                    name="one_signup_per_contact_shift"),
            models.UniqueConstraint(fields=["contact", "event"], condition=Q(shift__isnull=True),
                                    name="one_unshifted_signup_per_contact_event"),
        ]
        indexes = [models.Index(fields=["event", "status"]), models.Index(fields=["contact", "status"])]

    @property
    def places(self) -> int:
        return 1 + self.guests


class SignupStatusChange(models.Model):
    signup = models.ForeignKey(Signup, on_delete=models.CASCADE, related_name="history")
    from_status = models.CharField(max_length=12, blank=True)
    to_status = models.CharField(max_length=12)
    actor = models.CharField(max_length=200, blank=True)
    reason = models.CharField(max_length=200, blank=True)
    created_at = models.DateTimeField(default=dj_timezone.now)

    class Meta:
        ordering = ["created_at", "id"]
