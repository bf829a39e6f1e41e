"""CPU per public form submission, through the real view in one process (Django test client; no gunicorn, so the
figure is steadier on a shared machine than bench_forms' rate), with the SQL of one submission (SQL=1; SQL=ref: one with a co-sponsor's ref) and a
cProfile listing unless NOPROF=1. The bodies are bench_forms' (petition, one co-sponsor, a ref on every fourth).
Not run by `make bench` (no bench_ prefix):

    .venv/bin/python -m config.embedded -- env NOPROF=1 N=300 .venv/bin/python bench/profile_forms.py
"""
import cProfile, os, pstats, sys, time
sys.path.insert(0, os.getcwd())
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
os.environ.update(DJANGO_DEBUG="0", FORMS_RATE_PER_IP="0", FORMS_RATE_PER_FORM="0", LOG_LEVEL="WARNING")
from bench.common import backend_cpu_clock, scratch_database_until_exit
scratch_database_until_exit("profile_forms")
from bench.bench_forms import bodies, setup
form, run = setup()  # migrates the scratch database, django.setup(), one petition with a co-sponsor
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
N = int(os.environ.get("N", 300))
payloads = bodies(form, 22 + 2 * N, run)  # the 21st has a ref (two upserts), the 22nd not
c = Client(HTTP_ORIGIN="https://partner.example")
parts = {}  # PARTS=1: CPU of the pipeline's steps (webforms.services' names, wrapped where they are looked up)
if os.environ.get("PARTS"):
    import functools, webforms.services as services, webforms.views as views
    def timed(module, attr):
        inner, name = getattr(module, attr), f"{getattr(module, 'model', module).__name__}.{attr}"
        @functools.wraps(inner)
        def wrapper(*a, **k):
            t = time.process_time()
            try: return inner(*a, **k)
            finally: parts[name] = parts.get(name, 0) + time.process_time() - t
        setattr(module, attr, wrapper)
    for attr in ("check_limits", "token_read", "validate_submission", "_validated_person", "contact_upsert",
                 "notify_submission", "outbox_dispatch", "receiving_organizations"):
        timed(services, attr)
    timed(services.Submission.objects, "create")
    timed(services.FormAction.objects, "bulk_create")
    timed(services.OutboxMessage.objects, "bulk_create")
    timed(views, "submission_receive"); timed(views, "load_form")
url = f"/api/public/forms/{form.slug}/"
def one(body):
    r = c.post(url, body, content_type="application/json"); assert r.status_code == 201, r.content
for body in payloads[:20]: one(body)
if os.environ.get("SQL"):
    with CaptureQueriesContext(connection) as q: one(payloads[20 if os.environ["SQL"] == "ref" else 21])
    for x in q.captured_queries: print(x["time"], x["sql"][:400])
    print(f"{len(q.captured_queries)} statements")
else:
    one(payloads[20]); one(payloads[21])
pg_cpu = backend_cpu_clock()
parts.clear()
t = time.process_time(); w = time.perf_counter(); pg = pg_cpu()
for body in payloads[22:22 + N]: one(body)
print(f"CPU per submission {(time.process_time()-t)/N*1000:.2f} ms (+ PostgreSQL {(pg_cpu()-pg)/N*1000:.2f} ms)"
      f" wall {(time.perf_counter()-w)/N*1000:.2f} ms")
for attr, seconds in sorted(parts.items(), key=lambda kv: -kv[1]):
    print(f"  {attr:28} {seconds / N * 1000:.2f} ms")
if not os.environ.get("NOPROF"):
    prof = cProfile.Profile(time.process_time); prof.enable()  # CPU, not wall (waits on PostgreSQL)
    for body in payloads[22 + N:]: one(body)
    prof.disable()
    if os.environ.get("PROF_OUT"): prof.dump_stats(os.environ["PROF_OUT"])
    pstats.Stats(prof).sort_stats(os.environ.get("SORT", "cumulative")).print_stats(int(os.environ.get("TOP", 70)))
