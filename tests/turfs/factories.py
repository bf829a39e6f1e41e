"""Private-object factories for the tenancy walk: one object of each turf route, private to `organization`."""
from tests.isolation import private_object
from tests.turfs.helpers import person


def _turf(organization):
    from turfs.models import Turf, TurfCut, TurfStop
    contact = person(organization, "Walk", line1="12 Main St", lat=41.76, lon=-72.68)
    cut = TurfCut.objects.create(organization=organization, segment={"contacts": [str(contact.pk)]}, target=5)
    turf = Turf.objects.create(organization=organization, cut=cut, number=1, doors=1, people=1, distance_m=0,
                               latitude=41.76, longitude=-72.68)
    stop = TurfStop.objects.create(turf=turf, position=1, household_key="12|MAIN ST||06106", label="12 MAIN ST",
                                   latitude=41.76, longitude=-72.68, contacts=[contact.pk])
    return turf, stop, contact


@private_object("turf-cut")
def _turf_cut(organization):
    return _turf(organization)[0].cut_id


@private_object("turf")
def _turf_only(organization):
    return _turf(organization)[0].pk


@private_object("call-list")
def _call_list(organization):
    import uuid

    from turfs.models import CallList
    return CallList.objects.create(organization=organization, batch=uuid.uuid4(), number=1, segment={},
                                   entries=[{"contact": "x", "name": "A B", "phone": "+18605550100",
                                             "postal_code": "06106"}]).pk


@private_object("canvass-result")
def _canvass_result(organization):
    from turfs.models import CanvassResult
    turf, stop, contact = _turf(organization)
    return CanvassResult.objects.create(organization=organization, turf=turf, stop=stop, contact=contact,
                                        household_key=stop.household_key, code="talked").pk
