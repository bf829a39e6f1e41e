"""CPU per 1,000 contacts of reading the change feed from the start, in one process: FEED contacts (20,000) loaded
through contacts.batch.batch_upsert, then read through the real view (Django test client, pages of 1,000) ROUNDS
times. Printed per 1,000: the server side's Python CPU (the request through the view and renderer), its PostgreSQL
backend's CPU, and the client's JSON parse (what a partner's `requests` client spends), each the best round; then a
cProfile listing of one more round unless NOPROF=1. Not run by `make bench` (no bench_ prefix):

    .venv/bin/python -m config.embedded -- env NOPROF=1 .venv/bin/python bench/profile_feed.py
"""
import cProfile
import json
import os
import pstats
import sys
import time

sys.path.insert(0, os.getcwd())
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
os.environ["DJANGO_DEBUG"] = "0"
from bench.common import backend_cpu_clock, scratch_database_until_exit  # noqa: E402

scratch_database_until_exit("profile_feed")
FEED = int(os.environ.get("FEED", 20_000))
ROUNDS = int(os.environ.get("ROUNDS", 3))


def load(organization) -> None:
    from bench.bench_contacts import record
    from contacts.batch import batch_upsert
    from contacts.inputs import validate_people

    for start in range(0, FEED, 1000):
        people, errors = validate_people([record(n) for n in range(start, min(FEED, start + 1000))])
        assert not errors, errors
        results = batch_upsert(organization=organization, people=[people[i] for i in sorted(people)], source="bench")
        assert not [r for r in results if isinstance(r, Exception)]


def read_feed(client, pg_cpu) -> tuple[int, float, float, float]:
    """(events, server Python CPU, PostgreSQL CPU, client parse CPU) of one read from the start."""
    events, server, pg, parse, cursor = 0, 0.0, 0.0, 0.0, "0"
    while True:
        cpu, backend = time.process_time(), pg_cpu()
        response = client.get("/api/v1/contacts/changes/", {"cursor": cursor, "page_size": 1000})
        server += time.process_time() - cpu
        pg += pg_cpu() - backend
        assert response.status_code == 200, response.content[:500]
        cpu = time.process_time()
        page = json.loads(response.content)  # as requests' Response.json()
        parse += time.process_time() - cpu
        events += len(page["results"])
        cursor = page["next_cursor"]
        if not page["has_more"]:
            return events, server, pg, parse


def main() -> None:
    import django
    django.setup()
    from django.core.management import call_command
    from django.test import Client

    from organizations.models import Coalition, Organization
    from organizations.services import api_key_create

    call_command("migrate", verbosity=0)
    coalition = Coalition.objects.create(name="B", slug="b")
    organization = Organization.objects.create(coalition=coalition, name="B org", slug="b-org", short_name="B")
    _, key = api_key_create(organization=organization, name="b")
    load(organization)
    client = Client(HTTP_AUTHORIZATION=f"Token {key}")
    pg_cpu = backend_cpu_clock()
    read_feed(client, pg_cpu)  # warm: the first request's imports, the connection's plans
    rounds = [read_feed(client, pg_cpu) for _ in range(ROUNDS)]
    events = rounds[0][0]
    per = 1000 / events * 1000  # ms per 1,000 contacts
    best = [min(r[i] for r in rounds) * per for i in (1, 2, 3)]
    print(f"FEED {events} events, per 1,000 (best of {ROUNDS}): server Python {best[0]:.1f} ms, "
          f"PostgreSQL {best[1]:.1f} ms, client parse {best[2]:.1f} ms, total {sum(best):.1f} ms")
    if not os.environ.get("NOPROF"):
        profile = cProfile.Profile()
        profile.enable()
        read_feed(client, pg_cpu)
        profile.disable()
        pstats.Stats(profile).sort_stats(os.environ.get("SORT", "cumulative")).print_stats(int(os.environ.get("TOP", 45)))


if __name__ == "__main__":
    main()
