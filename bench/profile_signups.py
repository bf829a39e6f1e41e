"""CPU per signup (POST /api/v1/events/{id}/signups/ with a person body, as bench_signups sends) through the real
view in one process (Django test client; no gunicorn, so steadier than bench_signups' rate on a shared machine).
Prints the SQL of one signup with SQL=1, CPU per signup here and in the PostgreSQL server process, then a cProfile listing timed in CPU seconds (not wall time, so
PostgreSQL's share is left out) unless NOPROF=1. Not run by `make bench` (no bench_ prefix):

    .venv/bin/python -m config.embedded -- env SQL=1 N=300 .venv/bin/python bench/profile_signups.py
"""
import cProfile, json, os, pstats, sys, time
sys.path.insert(0, os.getcwd())
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
os.environ["DJANGO_DEBUG"] = "0"
os.environ["API_RATE_PER_KEY"] = os.environ["API_RATE_PER_IP"] = "10000000/min"
from bench.common import backend_cpu_clock, scratch_database_until_exit
scratch_database_until_exit("profile_signups")
import django; django.setup()
from django.core.management import call_command
call_command("migrate", verbosity=0)
from datetime import timedelta
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.utils import timezone
from events.services import event_create
from organizations.models import Coalition, Organization
from organizations.services import api_key_create
co = Coalition.objects.create(name="B", slug="b")
host = Organization.objects.create(coalition=co, name="B org", slug="b-org", short_name="B")
start = (timezone.now() + timedelta(days=14)).replace(minute=0, second=0, microsecond=0)
# small capacities, as in bench_signups: most signups end up waitlisted
event = event_create(organization=host, data={
    "kind": "rally", "title": "Bench rally", "starts_at": start, "ends_at": start + timedelta(hours=3),
    "status": "published", "visibility": "coalition",
    "shifts": [{"role": r, "starts_at": start, "ends_at": start + timedelta(hours=3), "capacity": 100}
               for r in ("a", "b")]})
shifts = [str(s.pk) for s in event.shifts.all()]
_, key = api_key_create(organization=host, name="b")
c = Client(HTTP_AUTHORIZATION=f"Token {key}")
url = f"/api/v1/events/{event.pk}/signups/"


def one(i):
    body = {"person": {"given_name": f"Vol{i}", "family_name": f"Bench{i}", "emails": [{"address": f"vol{i}@example.org"}]},
            "shift": shifts[i % 2], "referrer": {"utm_source": "bench"}}
    r = c.post(url, json.dumps(body), content_type="application/json")
    assert r.status_code == 201, r.content


for i in range(20):
    one(i)
N = int(os.environ.get("N", 300))
if os.environ.get("SQL"):
    with CaptureQueriesContext(connection) as q:
        one(99999)
    print(f"{len(q.captured_queries)} statements:")
    for x in q.captured_queries:
        print(" ", x["sql"][:int(os.environ.get("SQL_WIDTH", 160))])
pg_cpu = backend_cpu_clock()
b = pg_cpu(); t = time.process_time(); w = time.perf_counter()
for i in range(100, 100 + N):
    one(i)
print(f"CPU per signup {(time.process_time() - t) / N * 1000:.2f} ms (PostgreSQL "
      f"{(pg_cpu() - b) / N * 1000:.2f} ms more), wall {(time.perf_counter() - w) / N * 1000:.2f} ms")
if not os.environ.get("NOPROF"):
    prof = cProfile.Profile(time.process_time)
    prof.enable()
    for i in range(1000, 1000 + N):
        one(i)
    prof.disable()
    pstats.Stats(prof).sort_stats(os.environ.get("SORT", "cumulative")).print_stats(int(os.environ.get("TOP", 70)))
