"""OSDI facade: what a partner's Action Network tooling gets from the coalition, through a real gunicorn process.

- writes: people/s through the person signup helper (`POST /people`, sequential, as parsons' upsert_person does);
- reads: people/s read by parsons' ActionNetwork.get_people (25 a page, until the empty page) and by raw pages of
  100 following `_links.next`; and the ratio of a repeated signup (a match, nothing new) to a first one.

Runs against its own throwaway database on the server of DATABASE_URL and its own Redis database number.
    .venv/bin/python -m config.embedded -- .venv/bin/python -m bench osdi
"""
import os
import time
import warnings

from bench.common import scratch_database, start_gunicorn, stop_gunicorn

PEOPLE = int(os.environ.get("BENCH_OSDI_PEOPLE", 500))


def main():
    with scratch_database("osdi", redis_db=13):
        os.environ["API_RATE_PER_KEY"] = os.environ["API_RATE_PER_IP"] = "1000000/min"
        _run()


def _run():
    server = None
    try:
        import django
        django.setup()
        from django.core.management import call_command
        call_command("migrate", verbosity=0)
        import requests

        from config.embedded import free_port
        from organizations.models import Coalition, Organization
        from organizations.services import api_key_create
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", RuntimeWarning)
            from parsons import ActionNetwork

        coalition = Coalition.objects.create(name="Bench", slug="bench")
        org = Organization.objects.create(coalition=coalition, slug="bench-org", name="Bench", short_name="bench")
        _, token = api_key_create(organization=org, name="bench")
        port = free_port()
        server = start_gunicorn(port, workers=2, threads=2)
        base = f"http://127.0.0.1:{port}/api/osdi/v1"
        session = requests.Session()
        session.headers.update({"OSDI-API-Token": token, "Content-Type": "application/json"})

        def signup(n, repeat=False):
            body = {"person": {"given_name": f"Person{n}", "family_name": "Bench",
                               "email_addresses": [{"address": f"person{n}@bench.example"}]}, "add_tags": ["bench"]}
            response = session.post(f"{base}/people", json=body)
            assert response.status_code == (200 if repeat else 201), response.text

        started = time.perf_counter()
        for n in range(PEOPLE):
            signup(n)
        first = time.perf_counter() - started
        started = time.perf_counter()
        for n in range(PEOPLE // 4):
            signup(n, repeat=True)
        repeat = (time.perf_counter() - started) / (PEOPLE // 4)
        print(f"signup helper, new people:     {PEOPLE / first:8.1f} people/s ({first * 1000 / PEOPLE:.1f} ms each)")
        print(f"signup helper, same email:     {1 / repeat:8.1f} people/s (ratio to a new person "
              f"{repeat / (first / PEOPLE):.2f})")

        an = ActionNetwork(api_token=token)
        an.api_url, an.api.uri = base, base + "/"
        started = time.perf_counter()
        table = an.get_people(per_page=25)
        elapsed = time.perf_counter() - started
        assert table.num_rows == PEOPLE, table.num_rows
        print(f"parsons get_people (25/page):  {PEOPLE / elapsed:8.1f} people/s ({elapsed:.2f} s for {PEOPLE})")
        started, url, seen = time.perf_counter(), f"{base}/people?per_page=100", 0
        while url:
            page = session.get(url).json()
            seen += len(page["_embedded"]["osdi:people"])
            url = page["_links"].get("next", {}).get("href")
        elapsed = time.perf_counter() - started
        assert seen == PEOPLE
        print(f"raw pages of 100 (next links): {PEOPLE / elapsed:8.1f} people/s ({elapsed:.2f} s for {PEOPLE})")
    finally:
        if server is not None:
            stop_gunicorn(server)
        from django.db import connections
        connections.close_all()


if __name__ == "__main__":
    main()
