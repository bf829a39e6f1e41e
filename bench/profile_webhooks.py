"""CPU and wall time per API write that emits an event (PATCH of a contact: contact.updated), by an organization
with 5 active subscriptions vs one with none, through the real view in one process (Django test client, no
gunicorn, no workers), the two writes taking turns; the SQL each makes; and a cProfile listing of each unless NOPROF=1. Not run by `make bench` (no bench_
prefix):

    .venv/bin/python -m config.embedded -- env NOPROF=1 .venv/bin/python bench/profile_webhooks.py
"""
import cProfile
import os
import pstats
import statistics
import sys
import time

sys.path.insert(0, os.getcwd())
from bench.common import scratch_database  # noqa: E402

WRITES = int(os.environ.get("WRITES", 400))
PROFILE = not os.environ.get("NOPROF")


def main():
    import django
    django.setup()
    from django.core.management import call_command
    from django.db import connection
    from django.test.utils import CaptureQueriesContext
    call_command("migrate", verbosity=0)
    import django_rq
    django_rq.get_connection("webhooks").flushdb()

    from organizations.models import Coalition, Organization
    from tests.support import client_for
    from webhooks.services import webhook_create

    coalition = Coalition.objects.create(name="Bench", slug="bench")
    writer = Organization.objects.create(coalition=coalition, name="Writer", slug="writer", short_name="w")
    quiet = Organization.objects.create(coalition=Coalition.objects.create(name="Quiet", slug="quiet"),
                                        name="Quiet", slug="quiet", short_name="q")
    for i in range(5):
        webhook_create(organization=writer, actor=None, url=f"http://127.0.0.1:9/hook{i}",
                       event_types=["contact.updated"])

    clients = {True: client_for(writer), False: client_for(quiet)}
    urls = {}
    for subscribed, client in clients.items():
        created = client.post("/api/v1/contacts/", {"given_name": "Ana",
                                                    "emails": [{"address": f"ana{subscribed}@example.org"}]},
                              format="json")
        assert created.status_code == 201, created.content
        urls[subscribed] = f"/api/v1/contacts/{created.json()['contact']['id']}/"
    names = iter(range(10**9))

    def post(subscribed: bool):
        response = clients[subscribed].patch(urls[subscribed], {"given_name": f"Ana {next(names)}"}, format="json")
        assert response.status_code == 200

    for on in (False, True) * 10:  # warm up both paths
        post(on)
    for on in (False, True):
        with CaptureQueriesContext(connection) as queries:
            post(on)
        print(f"\n--- {'5 subscribers' if on else 'no subscribers'}: {len(queries)} statements")
        for q in queries:
            print("   ", q["sql"][:160].replace("\n", " "))
    cpu, wall = {False: [], True: []}, {False: [], True: []}
    for i in range(WRITES):
        on = bool(i % 2)
        c, w = time.process_time(), time.perf_counter()
        post(on)
        cpu[on].append(time.process_time() - c)
        wall[on].append(time.perf_counter() - w)
    for on in (False, True):
        print(f"{'5 subscribers' if on else 'no subscribers'}: CPU mean {statistics.mean(cpu[on]) * 1000:.3f} ms, "
              f"wall median {statistics.median(wall[on]) * 1000:.3f} ms")
    print(f"ratio: CPU {statistics.mean(cpu[True]) / statistics.mean(cpu[False]):.3f}, "
          f"wall {statistics.median(wall[True]) / statistics.median(wall[False]):.3f}")
    if PROFILE:
        for on in (False, True):
            prof = cProfile.Profile()
            prof.enable()
            for _ in range(100):
                post(on)
            prof.disable()
            print(f"\n=== cProfile, 100 writes, {'5 subscribers' if on else 'no subscribers'}")
            pstats.Stats(prof).sort_stats("cumulative").print_stats(int(os.environ.get("TOP", 40)))
    connection.close()


if __name__ == "__main__":
    with scratch_database("profile_webhooks", redis_db=13):
        main()
