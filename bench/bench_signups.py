"""Signups from 20 concurrent clients to one event with shifts, against a real gunicorn process.

Prints signups per second and the overbooking check (registered places per shift against capacity).
Needs DATABASE_URL and REDIS_URL (`make bench` provides throwaway servers).
"""
import http.client
import json
import os
import subprocess
import sys
import threading
import time
import uuid
from datetime import timedelta
from pathlib import Path


PROJECT_DIR = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(PROJECT_DIR))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")

from bench.common import process_tree_cpu, start_gunicorn  # noqa: E402

CLIENTS = int(os.environ.get("BENCH_CLIENTS", 20))
SIGNUPS = int(os.environ.get("BENCH_SIGNUPS", 2000))
#: person: each signup carries a person body (matched or created, as from a form); contact: a known contact id
MODE = os.environ.get("BENCH_MODE", "person")
#: gunicorn processes and threads per process
WORKERS = os.environ.get("BENCH_WORKERS", "3")
THREADS = os.environ.get("BENCH_THREADS", "4")
SHIFTS = [("marshal", 100), ("check-in", 100), ("speaker", 20), ("greeter", 100)]


def setup():
    import django
    subprocess.run([sys.executable, "manage.py", "migrate", "--noinput", "-v0"], cwd=PROJECT_DIR, check=True)
    django.setup()
    from django.utils import timezone

    from events.services import event_create
    from organizations.models import Coalition, Organization
    from organizations.services import api_key_create

    run = uuid.uuid4().hex[:8]
    coalition = Coalition.objects.create(name=f"Bench {run}", slug=f"bench-{run}")
    host = Organization.objects.create(coalition=coalition, slug=f"host-{run}", name="Host", short_name="Host")
    start = (timezone.now() + timedelta(days=14)).replace(minute=0, second=0, microsecond=0)
    # shifts run side by side (one person takes one), so the overlap rule never fires here
    event = event_create(organization=host, data={
        "kind": "rally", "title": "Bench rally", "starts_at": start, "ends_at": start + timedelta(hours=3),
        "status": "published", "visibility": "coalition",
        "shifts": [{"role": role, "starts_at": start, "ends_at": start + timedelta(hours=3), "capacity": cap}
                   for role, cap in SHIFTS]})
    keys = [api_key_create(organization=host, name=f"bench{i}")[1] for i in range(CLIENTS)]
    contacts = []
    if MODE == "contact":  # people known already: the signup path without contact matching
        from contacts.inputs import PersonInput
        from contacts.services import contact_upsert
        for i in range(SIGNUPS):
            person = PersonInput(data={"given_name": f"Vol{i}", "family_name": "Known",
                                       "emails": [{"address": f"known{i}.{run}@example.org"}]})
            person.is_valid(raise_exception=True)
            contacts.append(str(contact_upsert(organization=host, person=person.validated_data).contact.pk))
    return event, [str(s.pk) for s in event.shifts.order_by("role")], keys, run, contacts


def serve(port):
    env = {**os.environ, "API_RATE_PER_KEY": "10000000/min", "API_RATE_PER_IP": "10000000/min",
           "LOG_LEVEL": "WARNING", "DJANGO_DEBUG": "0"}
    return start_gunicorn(port, env=env, workers=int(WORKERS), threads=int(THREADS))


def _postmaster():
    """The PostgreSQL server process behind DATABASE_URL (its backends are its children)."""
    import psutil
    from django.conf import settings
    port = int(settings.DATABASES["default"]["PORT"] or 5432)
    for conn in psutil.net_connections("tcp"):
        if conn.status == psutil.CONN_LISTEN and conn.laddr.port == port and conn.pid:
            return psutil.Process(conn.pid)
    return None


def main():
    from config.embedded import free_port
    event, shifts, keys, run, contacts = setup()
    port = free_port()
    server = serve(port)
    path = f"/api/v1/events/{event.pk}/signups/"
    statuses, errors, lock = {}, [], threading.Lock()
    counter = iter(range(SIGNUPS))
    barrier = threading.Barrier(CLIENTS + 1)

    def client(key):
        # http.client on one keep-alive connection: the server's cost, not the requests library's, on shared cores
        connection = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
        headers = {"Authorization": f"Token {key}", "Content-Type": "application/json"}
        barrier.wait()
        for i in counter:
            who = {"contact": contacts[i]} if contacts else {"person": {
                "given_name": f"Vol{i}", "family_name": f"Bench{i}", "emails": [{"address": f"vol{i}.{run}@example.org"}]}}
            body = {**who, "shift": shifts[i % len(shifts)], "referrer": {"utm_source": "bench"}}
            connection.request("POST", path, body=json.dumps(body), headers=headers)
            response = connection.getresponse()
            text = response.read().decode()
            with lock:
                if response.status != 201:
                    errors.append((response.status, text[:200]))
                else:
                    status = json.loads(text)["status"]
                    statuses[status] = statuses.get(status, 0) + 1

    threads = [threading.Thread(target=client, args=(key,)) for key in keys]
    for thread in threads:
        thread.start()
    try:
        for _ in range(20):  # warm the workers' connections before the clock starts
            warm = http.client.HTTPConnection("127.0.0.1", port, timeout=5)
            warm.request("GET", "/healthz")
            warm.getresponse().read()
            warm.close()
        import psutil
        gunicorn, postgres = psutil.Process(server.pid), _postmaster()
        cpu_before = (process_tree_cpu(gunicorn), process_tree_cpu(postgres) if postgres else 0.0)
        barrier.wait()
        started = time.perf_counter()
        for thread in threads:
            thread.join()
        elapsed = time.perf_counter() - started
        cpu_after = (process_tree_cpu(gunicorn), process_tree_cpu(postgres) if postgres else 0.0)
    finally:
        server.terminate()
        server.wait(timeout=30)

    from django.db.models import Count, Q

    from events.models import Shift
    overbooked, unfilled = [], []
    for shift in Shift.objects.filter(event=event).annotate(
            n=Count("signups", filter=Q(signups__status="registered")), asked=Count("signups")):
        if shift.n > shift.capacity:
            overbooked.append((shift.role, shift.n, shift.capacity))
        elif shift.n < min(shift.capacity, shift.asked):  # a place left empty while someone waits
            unfilled.append((shift.role, shift.n, min(shift.capacity, shift.asked)))
    capacity = sum(cap for _, cap in SHIFTS)
    rate = len(statuses) and sum(statuses.values()) / elapsed
    print(f"mode: {MODE} (signup bodies carry {'a person' if MODE == 'person' else 'a contact id'}); "
          f"load average before the run: {os.getloadavg()[0]:.1f} on {os.cpu_count()} cores; "
          f"gunicorn {WORKERS} workers x {THREADS} threads")
    print(f"signups: {sum(statuses.values())} from {CLIENTS} concurrent clients in {elapsed:.2f} s "
          f"-> {rate:.0f} signups/s (target >= 200)")
    print(f"registered: {statuses.get('registered', 0)} (places: {capacity}), "
          f"waitlisted: {statuses.get('waitlisted', 0)}, errors: {len(errors)}")
    print(f"overbooked shifts: {len(overbooked)} {overbooked or ''}".rstrip())
    print(f"ratio to target: {rate / 200:.2f}x")
    done = max(1, sum(statuses.values()))
    app_ms, db_ms = ((after - before) * 1000 / done for before, after in zip(cpu_before, cpu_after))
    cores = os.cpu_count()
    print(f"server CPU per signup: {app_ms + db_ms:.1f} ms (gunicorn {app_ms:.1f} ms + PostgreSQL {db_ms:.1f} ms); "
          f"on {cores} otherwise idle cores that is about {cores * 1000 / (app_ms + db_ms):.0f} signups/s "
          "(an estimate from CPU time, not a measurement)")
    if errors:
        print("first errors:", errors[:3])
    if unfilled:
        print("places left empty while people wait:", unfilled)
    if overbooked or errors or unfilled:
        raise SystemExit(1)


if __name__ == "__main__":
    main()
