"""Webhook fan-out: 10,000 events to 5 subscribers on loopback receivers, drained by 2 real rqworker processes
(deliveries per second, goal >= 500/s); and the latency of an API write that emits an event, with 5 (slow)
subscribers vs none (goal: ratio of the medians <= 1.10), BENCH_WEBHOOK_WRITES (300) of each, through gunicorn.

Runs against its own throwaway database on the server of DATABASE_URL and its own Redis database number.
    .venv/bin/python -m config.embedded -- .venv/bin/python -m bench webhooks
"""
import os
import statistics
import subprocess
import sys
import time
import requests

from bench.common import PROJECT_DIR, scratch_database, start_gunicorn
from config.embedded import free_port
EVENTS = int(os.environ.get("BENCH_WEBHOOK_EVENTS", 10_000))
SUBSCRIBERS = 5
WORKERS = 2
WRITES = int(os.environ.get("BENCH_WEBHOOK_WRITES", 300))

RECEIVERS = r"""
import sys, time, threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
delay = float(sys.argv[1])
class H(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    def do_POST(self):
        self.rfile.read(int(self.headers.get("Content-Length", 0)))
        if delay:
            time.sleep(delay)
        self.send_response(204)
        self.send_header("Content-Length", "0")
        self.end_headers()
    def log_message(self, *a):
        pass
servers = [ThreadingHTTPServer(("127.0.0.1", 0), H) for _ in range(int(sys.argv[2]))]
print(" ".join(str(s.server_address[1]) for s in servers), flush=True)
for s in servers[1:]:
    threading.Thread(target=s.serve_forever, daemon=True).start()
servers[0].serve_forever()
"""


def _receivers(delay: float, count: int):
    process = subprocess.Popen([sys.executable, "-c", RECEIVERS, str(delay), str(count)], stdout=subprocess.PIPE,
                               text=True)
    ports = [int(p) for p in process.stdout.readline().split()]
    return process, [f"http://127.0.0.1:{port}/hook" for port in ports]


def _workers():
    return [subprocess.Popen([sys.executable, str(PROJECT_DIR / "manage.py"), "rqworker", "high", "webhooks"],
                             cwd=PROJECT_DIR, env=os.environ.copy(), stdout=subprocess.DEVNULL,
                             stderr=subprocess.DEVNULL) for _ in range(WORKERS)]


def main():
    with scratch_database("webhooks", redis_db=12):
        _run()


def _run():
    children = []
    try:
        import django
        django.setup()
        from django.core.management import call_command
        from django.db import connection, transaction
        call_command("migrate", verbosity=0)
        import django_rq
        django_rq.get_connection("webhooks").flushdb()

        from organizations.models import Coalition, Organization
        from webhooks.models import WebhookDelivery, WebhookEndpoint
        from webhooks.services import emit, webhook_create

        coalition = Coalition.objects.create(name="Bench", slug="bench")
        orgs = [Organization.objects.create(coalition=coalition, name=f"Member {i}", slug=f"member-{i}",
                                            short_name=f"m{i}") for i in range(SUBSCRIBERS)]
        process, urls = _receivers(0.0, SUBSCRIBERS)
        children.append(process)
        for org, url in zip(orgs, urls):
            webhook_create(organization=org, actor=None, url=url, event_types=["contact.updated"])

        # 1. fan-out throughput
        started = time.perf_counter()
        for batch in range(0, EVENTS, 100):  # as a bulk import would: 100 events per transaction
            with transaction.atomic():
                for i in range(batch, min(EVENTS, batch + 100)):
                    emit(event_type="contact.updated", audience=orgs,
                         render=lambda org, i=i: {"contact": {"id": f"c{i}", "given_name": "Ana",
                                                              "modified_at": "2026-01-01T00:00:00Z"}})
        emit_seconds = time.perf_counter() - started
        total = EVENTS * SUBSCRIBERS
        print(f"emit: {EVENTS} events -> {total} deliveries recorded in {emit_seconds:.1f}s "
              f"({EVENTS / emit_seconds:.0f} events/s on the caller's side)", flush=True)
        started = time.perf_counter()
        children += _workers()
        while True:
            done = WebhookDelivery.objects.filter(status="succeeded").count()
            if done >= total or time.perf_counter() - started > 600:
                break
            time.sleep(0.25)
        drain_seconds = time.perf_counter() - started
        rate = done / drain_seconds
        print(f"fan-out: {done}/{total} deliveries by {WORKERS} rqworker processes in {drain_seconds:.1f}s "
              f"(including worker start) = {rate:.0f} deliveries/s (goal >= 500/s: "
              f"{'met' if rate >= 500 else 'NOT met'})", flush=True)

        # 2. API write latency with 5 slow subscribers vs none, through gunicorn (deploy/gunicorn.conf.py) as a
        # partner's client sees it: PATCH of a contact, which emits contact.updated. Two organizations make the
        # same write in turn, one with 5 active subscriptions (receivers that sleep 1 s), one in a coalition
        # with none, so whatever else loads the machine (the workers sending to the slow receivers, other
        # processes) weighs on both alike.
        from organizations.services import api_key_create
        writer = orgs[0]
        quiet = Organization.objects.create(coalition=Coalition.objects.create(name="Quiet", slug="quiet"),
                                            name="Quiet", slug="quiet", short_name="q")
        slow_process, slow_urls = _receivers(1.0, SUBSCRIBERS)
        children.append(slow_process)
        WebhookEndpoint.objects.all().update(active=False)
        for url in slow_urls:
            webhook_create(organization=writer, actor=None, url=url, event_types=["contact.updated"])
        connection.close()
        port = free_port()
        children.append(start_gunicorn(port))
        sessions, contacts = {}, {}
        for subscribed, org in ((True, writer), (False, quiet)):
            sessions[subscribed] = requests.Session()
            sessions[subscribed].headers["Authorization"] = f"Token {api_key_create(organization=org, name='bench')[1]}"
            created = sessions[subscribed].post(
                f"http://127.0.0.1:{port}/api/v1/contacts/",
                json={"given_name": "Ana", "emails": [{"address": f"ana@{org.slug}.example"}]})
            assert created.status_code == 201, created.text
            contacts[subscribed] = f"http://127.0.0.1:{port}/api/v1/contacts/{created.json()['contact']['id']}/"

        wall = {False: [], True: []}
        for i in range(20 + 2 * WRITES):  # the first 20 warm up both paths
            subscribed = i % 2 == 1
            started = time.perf_counter()
            response = sessions[subscribed].patch(contacts[subscribed], json={"given_name": f"Ana {i}"})
            if i >= 20:
                wall[subscribed].append(time.perf_counter() - started)
            assert response.status_code == 200, response.text
        without, with_ = statistics.median(wall[False]), statistics.median(wall[True])
        ratio = with_ / without
        expected = SUBSCRIBERS * (10 + WRITES)  # contact.updated of every subscribed write (creation: created)
        started = time.perf_counter()  # the notifier job renders and records them a moment after each write
        while (queued := WebhookDelivery.objects.filter(endpoint__url__in=slow_urls).count()) < expected \
                and time.perf_counter() - started < 120:
            time.sleep(0.25)
        print(f"API write (PATCH /api/v1/contacts/{{id}}/, emits contact.updated) through gunicorn, {WRITES} of each "
              f"interleaved, median wall: {without * 1000:.2f} ms with no subscribers, {with_ * 1000:.2f} ms with "
              f"{SUBSCRIBERS} subscribers whose receivers sleep 1 s -> ratio "
              f"{ratio:.2f} (goal <= 1.10: {'met' if ratio <= 1.10 else 'NOT met'}); the notifier job had recorded "
              f"{queued}/{expected} of their deliveries {time.perf_counter() - started:.1f}s after the last write",
              flush=True)
        connection.close()
    finally:
        for child in children:
            child.terminate()
        for child in children:
            try:
                child.wait(timeout=30)
            except subprocess.TimeoutExpired:
                child.kill()
        from django.db import connections
        connections.close_all()


if __name__ == "__main__":
    sys.path.insert(0, str(PROJECT_DIR))
    main()
