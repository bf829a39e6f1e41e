"""API key scopes: one read and one write scope per resource family."""

FAMILIES = ("contacts", "events", "testimony", "forms", "turfs", "webhooks", "jobs", "audit")
ACTIONS = ("read", "write")
ALL_SCOPES = tuple(f"{family}:{action}" for family in FAMILIES for action in ACTIONS)
#: granted only on request, and only to members flagged as coalition admins
COALITION_ADMIN = "coalition:admin"
KNOWN_SCOPES = ALL_SCOPES + (COALITION_ADMIN,)


def scope_for(family: str, write: bool) -> str:
    return f"{family}:{'write' if write else 'read'}"
