from rest_framework.permissions import SAFE_METHODS, BasePermission

from organizations.models import ApiKey, Role
from organizations.scopes import scope_for

from .context import caller_organization, caller_role


class HasScope(BasePermission):
    """Keys need the view's family scope (`contacts:read` for reads, `contacts:write` for writes); staff need a
    membership, and organizers or admins to write. A view sets `scope_family` (None: any authenticated caller)
    and may set `admin_only = True` for staff."""

    message = "This key or user may not do that."

    def has_permission(self, request, view):
        if not (request.user and request.user.is_authenticated):
            return False
        family = getattr(view, "scope_family", None)
        write = request.method not in SAFE_METHODS or getattr(view, "action_is_write", lambda: False)()
        if isinstance(request.auth, ApiKey):
            if family is None:
                return True
            needed = scope_for(family, write)
            self.message = f"This key lacks the {needed!r} scope."
            return needed in request.auth.scopes
        caller_organization(request)  # a staff user must act for one of their organizations
        role = caller_role(request)
        if role is None:
            return False
        if getattr(view, "admin_only", False):
            return role == Role.ADMIN
        return role in (Role.ADMIN, Role.ORGANIZER) or not write
