import django_rq
import pytest

from organizations.models import Coalition, Organization


@pytest.fixture
def coalition(db):
    return Coalition.objects.create(name="Test Coalition", slug="test-coalition")


@pytest.fixture
def make_org(coalition):
    def make(slug, **fields):
        return Organization.objects.create(coalition=coalition, slug=slug, name=fields.pop("name", slug.title()),
                                           short_name=fields.pop("short_name", slug[:10]), **fields)
    return make


@pytest.fixture
def org_a(make_org):
    return make_org("alpha", is_coalition_admin=True)


@pytest.fixture
def org_b(make_org):
    return make_org("bravo")


@pytest.fixture
def client_a(org_a):
    from tests.support import client_for
    return client_for(org_a)


@pytest.fixture
def client_b(org_b):
    from tests.support import client_for
    return client_for(org_b)


@pytest.fixture(autouse=True)
def _empty_queues():
    """Each test starts with empty rq queues in its own Redis database."""
    django_rq.get_connection("default").flushdb()
    yield
