"""Turf cuts, turfs and their stops (doors), call lists, and canvass results.

Everything belongs to the organization that cut it (TenantQuerySet on `organization`). A cut's turfs and
stops are written in one transaction when the job finishes, so a cut has either all its turfs or none.
"""
import uuid

from django.contrib.postgres.fields import ArrayField
from django.db import models
from django.utils import timezone

from contacts.models import Contact
from events.models import Shift
from jobs.models import Job
from organizations.models import Organization
from organizations.tenancy import TenantQuerySet

RESULT_CODES = [("not_home", "not home"), ("refused", "refused"), ("talked", "talked"), ("moved", "moved"),
                ("wrong_address", "wrong address")]


class TurfCut(models.Model):
    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    organization = models.ForeignKey(Organization, on_delete=models.CASCADE, related_name="turf_cuts")
    name = models.CharField(max_length=200, blank=True)
    segment = models.JSONField(default=dict, help_text="the contact filters the turfs were cut from")
    target = models.PositiveIntegerField(default=50, help_text="doors per turf")
    keep_buildings_whole = models.BooleanField(default=True)
    exclude_do_not_contact = models.BooleanField(default=True)
    survey = models.JSONField(default=list, blank=True, help_text='[{"key", "question", "choices"}]')
    job = models.ForeignKey(Job, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    stats = models.JSONField(default=dict, blank=True)
    unplaced = models.JSONField(default=list, blank=True, help_text='[{"contact", "reason", "address"}]')
    cut_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(default=timezone.now)

    objects = TenantQuerySet.as_manager()

    class Meta:
        ordering = ["-created_at"]

    def __str__(self):
        return self.name or f"turf cut {self.id}"




class Turf(models.Model):
    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    organization = models.ForeignKey(Organization, on_delete=models.CASCADE, related_name="turfs")
    cut = models.ForeignKey(TurfCut, on_delete=models.CASCADE, related_name="turfs")
    number = models.PositiveIntegerField()
    doors = models.PositiveIntegerField()
    people = models.PositiveIntegerField()
    distance_m = models.FloatField()
    remainder = models.BooleanField(default=False)
    latitude = models.FloatField(help_text="centre of the turf")
    longitude = models.FloatField()
    volunteer = models.ForeignKey(Contact, null=True, blank=True, on_delete=models.SET_NULL, related_name="+",
                                  help_text="the canvasser it is assigned to")
    shift = models.ForeignKey(Shift, null=True, blank=True, on_delete=models.SET_NULL, related_name="turfs",
                              help_text="the canvass shift it is walked in")
    doors_done = models.PositiveIntegerField(default=0, help_text="doors with at least one result")
    created_at = models.DateTimeField(default=timezone.now)

    objects = TenantQuerySet.as_manager()

    class Meta:
        ordering = ["cut", "number"]
        constraints = [models.UniqueConstraint(fields=["cut", "number"], name="one_turf_number_per_cut")]

    @property
    def progress(self) -> int:
        return round(100 * self.doors_done / self.doors) if self.doors else 100

    def __str__(self):
        return f"turf {self.number} of {self.cut_id}"


class TurfStop(models.Model):
    """One door of a turf, in walk order; `contacts` are the people behind it (ids, in a stable order)."""

    turf = models.ForeignKey(Turf, on_delete=models.CASCADE, related_name="stops")
    position = models.PositiveIntegerField()
    household_key = models.CharField(max_length=300)
    label = models.CharField(max_length=300)
    number = models.CharField(max_length=20, blank=True)
    street = models.CharField(max_length=200, blank=True)
    unit = models.CharField(max_length=40, blank=True)
    postal_code = models.CharField(max_length=10, blank=True)
    latitude = models.FloatField()
    longitude = models.FloatField()
    approximate = models.BooleanField(default=False, help_text="placed by its ZIP centroid")
    contacts = ArrayField(models.UUIDField(), default=list)
    last_result = models.CharField(max_length=20, blank=True, choices=RESULT_CODES)

    class Meta:
        ordering = ["turf", "position"]
        constraints = [models.UniqueConstraint(fields=["turf", "position"], name="one_stop_per_position")]


class CallList(models.Model):
    """One caller's share of a phone-bank segment: people with a phone and call consent, in calling order."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    organization = models.ForeignKey(Organization, on_delete=models.CASCADE, related_name="call_lists")
    batch = models.UUIDField(db_index=True, help_text="the lists made together from one segment")
    name = models.CharField(max_length=200, blank=True)
    number = models.PositiveIntegerField()
    segment = models.JSONField(default=dict)
    entries = models.JSONField(default=list, help_text='[{"contact", "name", "phone", "postal_code"}]')
    volunteer = models.ForeignKey(Contact, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    shift = models.ForeignKey(Shift, null=True, blank=True, on_delete=models.SET_NULL, related_name="call_lists",
                              help_text="the phone-bank shift it is called in")
    created_at = models.DateTimeField(default=timezone.now)

    objects = TenantQuerySet.as_manager()

    class Meta:
        ordering = ["-created_at", "number"]


class CanvassResult(models.Model):
    """What happened at a door with one person there: a result for the whole door is recorded once per person
    behind it, so each person's activity has it. Part of the person's activity (GET /canvass-results/?contact=)."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    organization = models.ForeignKey(Organization, on_delete=models.CASCADE, related_name="canvass_results")
    turf = models.ForeignKey(Turf, on_delete=models.CASCADE, related_name="results")
    stop = models.ForeignKey(TurfStop, on_delete=models.CASCADE, related_name="results")
    contact = models.ForeignKey(Contact, on_delete=models.CASCADE, related_name="canvass_results")
    household_key = models.CharField(max_length=300, help_text="the address the result is about")
    code = models.CharField(max_length=20, choices=RESULT_CODES)
    support = models.PositiveSmallIntegerField(null=True, blank=True, help_text="1 (strong no) .. 5 (strong yes)")
    answers = models.JSONField(default=dict, blank=True)
    notes = models.TextField(blank=True)
    canvasser = models.CharField(max_length=200, blank=True)
    canvasser_contact = models.ForeignKey(Contact, null=True, blank=True, on_delete=models.SET_NULL,
                                          related_name="+")
    recorded_at = models.DateTimeField(default=timezone.now, help_text="when it happened at the door")
    client_id = models.CharField(max_length=100, blank=True, help_text="the device's id, so a resend is one result")
    created_at = models.DateTimeField(default=timezone.now)

    objects = TenantQuerySet.as_manager()

    class Meta:
        ordering = ["-recorded_at", "id"]
        constraints = [models.UniqueConstraint(fields=["turf", "client_id", "contact"], condition=~models.Q(client_id=""),
                                               name="one_result_per_client_id")]
        indexes = [models.Index(fields=["organization", "contact", "code"])]
