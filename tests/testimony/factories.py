"""Private objects of the testimony routes for the router-wide tenancy walk."""
from testimony.models import Hearing
from tests.isolation import private_object

from .builders import hearing, witness


@private_object("hearing")
def _hearing(organization):
    return hearing(organization, visibility=Hearing.Visibility.PRIVATE).pk


@private_object("testimony")
def _testimony(organization):
    # on a coalition-visible hearing: the other member sees the hearing, yet never this witness
    return witness(hearing(organization), organization, "Walk", "Witness").pk
