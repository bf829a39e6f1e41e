"""Walks every route of the API router: organization A's key gets 404 for organization B's private objects,
on read and on write, and never sees them in a list."""
import importlib
import json
from pathlib import Path

import pytest
from django.urls import NoReverseMatch, reverse

from api.urls import router
from tests import isolation
from tests.support import client_for

# Each suite keeps the factories of its own routes in tests/<suite>/factories.py.
for factories in sorted(Path(isolation.__file__).parent.glob("*/factories.py")):
    importlib.import_module(f"tests.{factories.parent.name}.factories")

ROUTES = [(prefix, viewset, basename) for prefix, viewset, basename in router.registry]
WRITE_METHODS = ("put", "patch", "delete", "post")


def test_every_route_has_an_isolation_factory():
    missing = [basename for _, _, basename in ROUTES
               if basename not in isolation.FACTORIES and basename not in isolation.PUBLIC]
    assert not missing, f"add a factory to tests/isolation.py (or a factories module) for: {missing}"


def _detail_urls(viewset, basename, pk):
    urls = []
    try:
        urls.append((reverse(f"{basename}-detail", args=[pk]), ("get", *WRITE_METHODS)))
    except NoReverseMatch:
        pass
    for action in viewset.get_extra_actions():
        if action.detail:
            urls.append((reverse(f"{basename}-{action.url_name}", args=[pk]), tuple(action.mapping)))
    return urls


@pytest.mark.django_db
@pytest.mark.parametrize("basename", sorted(isolation.FACTORIES))
def test_foreign_objects_are_404_on_read_and_write(basename, org_a, org_b):
    viewset = next(v for _, v, b in ROUTES if b == basename)
    owner, intruder = client_for(org_b), client_for(org_a)
    pk = isolation.FACTORIES[basename](org_b)
    urls = _detail_urls(viewset, basename, pk)
    assert urls, f"{basename} has no detail route to check"
    for url, methods in urls:
        for method in methods:
            body = {} if method == "get" else {"data": json.dumps({}), "content_type": "application/json"}
            response = getattr(intruder, method)(url, **body)
            assert response.status_code in (404, 405), (method, url, response.status_code, response.content[:300])
            if response.status_code == 404:
                assert response.json()["error"]["code"] == "not_found"
    assert owner.get(urls[0][0]).status_code in (200, 302), "the owner must be able to read its own object"

    list_url = reverse(f"{basename}-list")
    seen_by_intruder = intruder.get(list_url)
    assert seen_by_intruder.status_code == 200
    assert str(pk) not in seen_by_intruder.content.decode()
    assert str(pk) in owner.get(list_url).content.decode()
