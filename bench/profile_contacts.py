"""CPU per 1,000 contacts of bulk upsert and of the change feed, through the real views in one process (Django
test client; no gunicorn, so the figures are steadier on a shared machine than bench_contacts' rates), with a
cProfile listing of each unless NOPROF=1; then CPU per contact_upsert call (a form's new person, then the same
person again). "PG" is the CPU of this connection's PostgreSQL backend. Not run by `make bench` (no bench_ prefix):

    .venv/bin/python -m config.embedded -- env NOPROF=1 PAGES=5 .venv/bin/python bench/profile_contacts.py
"""
import cProfile, json, os, pstats, sys, time
sys.path.insert(0, os.getcwd())
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
os.environ["DJANGO_DEBUG"] = "0"
from bench.common import backend_cpu_clock, scratch_database_until_exit
scratch_database_until_exit("profile_contacts")
import django; django.setup()
from django.core.management import call_command
call_command("migrate", verbosity=0)
sys.path.insert(0, os.path.join(os.getcwd(), "bench"))
from bench_contacts import record
from organizations.models import Coalition, Organization
from organizations.services import api_key_create
from django.test import Client
co = Coalition.objects.create(name="B", slug="b")
org = Organization.objects.create(coalition=co, name="B org", slug="b-org", short_name="B")
_, key = api_key_create(organization=org, name="b")
c = Client(HTTP_AUTHORIZATION=f"Token {key}")
pg_cpu = backend_cpu_clock()
PAGES = int(os.environ.get("PAGES", 4))
bodies = [json.dumps({"records": [record(n) for n in range(s, s + 1000)]}) for s in range(0, 1000 * (PAGES + 1), 1000)]
r = c.post("/api/v1/contacts/bulk/", bodies[0], content_type="application/json"); assert r.status_code == 200, r.content[:500]
prof = cProfile.Profile() if not os.environ.get('NOPROF') else type('P',(),{'enable':lambda s:None,'disable':lambda s:None})()
t = time.process_time(); w = time.perf_counter(); p = pg_cpu()
prof.enable()
for b in bodies[1:]:
    r = c.post("/api/v1/contacts/bulk/", b, content_type="application/json"); assert r.status_code == 200
prof.disable()
print(f"BULK CPU per 1000: {(time.process_time()-t)/PAGES:.3f}s PG {(pg_cpu()-p)/PAGES:.3f}s wall {(time.perf_counter()-w)/PAGES:.3f}s")
(not os.environ.get('NOPROF')) and pstats.Stats(prof).sort_stats("cumulative").print_stats(int(os.environ.get("TOP", 45)))
prof = cProfile.Profile() if not os.environ.get('NOPROF') else type('P',(),{'enable':lambda s:None,'disable':lambda s:None})()
t = time.process_time(); w = time.perf_counter(); n = 0
prof.enable()
cur = "0"
while True:
    r = c.get("/api/v1/contacts/changes/", {"cursor": cur, "page_size": 1000}).json()
    n += len(r["results"]); cur = r["next_cursor"]
    if not r["has_more"]: break
prof.disable()
print(f"FEED {n} events CPU per 1000: {(time.process_time()-t)/(n/1000):.3f}s wall {(time.perf_counter()-w)/(n/1000):.3f}s")
(not os.environ.get('NOPROF')) and pstats.Stats(prof).sort_stats("cumulative").print_stats(int(os.environ.get("TOP", 45)))
from django.utils import timezone
from contacts.inputs import PersonInput
from contacts.services import contact_upsert
def form_person(i):  # as webforms sends one: names, email, phone, address, two consents
    consent = {"status": "opt_in", "source": "form", "text": "Yes, email me", "ip_address": "192.0.2.1",
               "captured_at": timezone.now()}
    serializer = PersonInput(data={
        "given_name": f"Pat{i}", "family_name": f"Signer{i}", "language": "en",
        "emails": [{"address": f"signer{i}@example.org"}], "phones": [{"number": f"(860) 555-{i % 10000:04d}"}],
        "addresses": [{"line1": f"{i} Elm Street", "city": "Hartford", "state": "CT", "postal_code": "06105"}],
        "consents": [{"channel": "email", "scope": "organization", **consent},
                     {"channel": "email", "scope": "coalition", **consent}]})
    serializer.is_valid(raise_exception=True)
    return serializer.validated_data
UPSERTS = int(os.environ.get("UPSERTS", 300))
people = [form_person(i) for i in range(UPSERTS)]
for label in ("new person", "same again"):
    t = time.process_time(); w = time.perf_counter(); p = pg_cpu()
    for person in people:
        contact_upsert(organization=org, person=person, source="form")
    print(f"UPSERT {label} per call: CPU {(time.process_time()-t)/UPSERTS*1000:.2f}ms PG {(pg_cpu()-p)/UPSERTS*1000:.2f}ms "
          f"wall {(time.perf_counter()-w)/UPSERTS*1000:.2f}ms")
