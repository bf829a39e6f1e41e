"""Private-object factories for the router-wide tenancy walk (tests/foundation/test_tenancy_walk.py).

Every basename registered on api.urls.router needs an entry here: a function that, given an organization,
creates one object private to it and returns its lookup value. The walk fails for a route without one, so
a new endpoint cannot skip its isolation test.
"""
from organizations.services import audit_record

FACTORIES = {}
#: routes whose objects are public within the coalition by design (with the reason)
PUBLIC = {"organization": "member organizations' public fields are shared coalition-wide"}


def private_object(basename):
    def register(func):
        FACTORIES[basename] = func
        return func
    return register


@private_object("job")
def _job(organization):
    from jobs.models import Job
    return Job.objects.create(organization=organization, kind="audit.export").pk


@private_object("audit-event")
def _audit_event(organization):
    return audit_record(organization=organization, actor=None, verb="test.private").pk
