import pytest

from tests.support import client_for


@pytest.fixture
def org_c(make_org):
    return make_org("charlie")


@pytest.fixture
def admin_client(org_a):
    """A coalition admin key (org_a is a coalition-admin member)."""
    from organizations.scopes import ALL_SCOPES
    return client_for(org_a, scopes=[*ALL_SCOPES, "coalition:admin"])
