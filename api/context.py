"""Who is calling: the organization and the actor (API key or staff user) behind a request."""
from rest_framework.exceptions import NotAuthenticated, ValidationError

from organizations.models import ApiKey, Membership, Organization, Role
from organizations.scopes import COALITION_ADMIN

ORGANIZATION_HEADER = "HTTP_X_ORGANIZATION"


def caller_organization(request) -> Organization:
    """The organization a request acts for; cached on the request. Keys carry it; staff sessions choose it
    with an `X-Organization: <slug>` header when they belong to more than one member."""
    cached = getattr(request, "_caller_organization", None)
    if cached is not None:
        return cached
    if isinstance(request.auth, ApiKey):
        organization = request.auth.organization
    elif request.user and request.user.is_authenticated:
        organization = _session_organization(request)
    else:
        raise NotAuthenticated()
    request._caller_organization = organization
    return organization


def _session_organization(request) -> Organization:
    wanted = request.META.get(ORGANIZATION_HEADER, "").strip()
    memberships = Membership.objects.filter(user=request.user).select_related("organization")
    if wanted:
        if request.user.is_superuser:
            organization = Organization.objects.filter(slug=wanted).first()
        else:
            organization = next((m.organization for m in memberships if m.organization.slug == wanted), None)
        if organization is None:
            raise ValidationError({"X-Organization": [f"You are not a member of {wanted!r}."]})
        return organization
    organizations = [m.organization for m in memberships]
    if len(organizations) != 1:
        raise ValidationError({"X-Organization": ["Choose the organization to act for with this header."]})
    return organizations[0]


def caller_role(request) -> str | None:
    """The staff user's role in the caller organization (None for API keys)."""
    if isinstance(request.auth, ApiKey):
        return None
    if request.user.is_superuser:
        return "admin"
    membership = Membership.objects.filter(user=request.user, organization=caller_organization(request)).first()
    return membership.role if membership else None


def caller_actor(request):
    """What the audit log and job records name as the actor: the ApiKey, or the staff user."""
    return request.auth if isinstance(request.auth, ApiKey) else request.user


def may_act_coalition_wide(request) -> bool:
    """Keys with the `coalition:admin` scope, and admins, of a member flagged as coalition admin."""
    organization = caller_organization(request)
    if not organization.is_coalition_admin:
        return False
    if isinstance(request.auth, ApiKey):
        return COALITION_ADMIN in request.auth.scopes
    return caller_role(request) == Role.ADMIN
