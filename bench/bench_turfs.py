"""Turf cutting on a synthetic grid town (turfs.synthetic): time for 10,000 and 100,000 households side by side,
and total walking distance against the naive cut (sort by ZIP, street, number; chunk by 50), same data, same run.

Run alone: `.venv/bin/python -m bench turfs` (pure Python, needs no database). The cut timed here is the whole
of what the rq job computes (households, bisection, walk order, quality report); the job adds the database
reads and one bulk write around it. Under `make bench` (DATABASE_URL and REDIS_URL of throwaway servers) the
100,000-door town is also loaded as contacts and cut by a real `rqworker --burst`, timed from the job's
started_at to finished_at. It needs DATABASE_URL/REDIS_URL in the environment (as `make bench` sets them for
throwaway servers) and leaves its "bench-..." coalition behind (audit events are append-only).
"""
import gc
import os
import random
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from turfs.cutting import build_households, cut, naive_cut  # noqa: E402
from turfs.synthetic import town  # noqa: E402

TARGET = 50


def measure(places):
    """Time cut() as the job runs it: with the cyclic garbage collector off (turfs.services.turf_cut_run)."""
    gc.collect()
    gc.disable()
    try:
        started = time.perf_counter()
        result = cut(places, TARGET)
        seconds = time.perf_counter() - started
    finally:
        gc.enable()
    households, _, _ = build_households(places)
    naive = sum(naive_cut(households, TARGET))
    return seconds, result.stats, naive


def subset(places, fraction, seed=1):
    """A segment of the town: the people of a random `fraction` of its doors."""
    rng = random.Random(seed)
    doors = {}
    for place in places:
        doors.setdefault((place.number, place.street, place.unit), []).append(place)
    return [p for key in sorted(doors) if rng.random() < fraction for p in doors[key]]


def main():
    sizes = [int(n) for n in os.environ.get("BENCH_TURF_SIZES", "10000,100000").split(",")]
    rows = []
    for n in sizes:
        places = town(n)
        seconds, stats, naive = measure(places)
        rows.append((n, len(places), seconds, stats, naive))
    print(f"{'households':>10} {'people':>8} {'seconds':>8} {'us/door':>8} {'turfs':>6} {'doors min/med/max':>18} "
          f"{'faces split':>11} {'walk km':>8} {'naive km':>9} {'naive/cut':>9}")
    for n, people, seconds, stats, naive in rows:
        d = stats["doors"]
        total = stats["distance_m"]["total"]
        print(f"{stats['households']:>10} {people:>8} {seconds:>8.2f} {seconds / n * 1e6:>8.1f} {stats['turfs']:>6} "
              f"{d['min']:>6}/{d['median']:>5}/{d['max']:>5} {stats['block_faces_split']:>11} "
              f"{total / 1000:>8.1f} {naive / 1000:>9.1f} {naive / total:>8.2f}x")
    if len(rows) >= 2:
        (n1, _, s1, _, _), (n2, _, s2, _, _) = rows[0], rows[-1]
        print(f"growth: {n2 / n1:.0f}x the households took {s2 / s1:.1f}x the time "
              f"(linear would be {n2 / n1:.0f}x); goal: 100,000 in <= 10 s -> {s2:.2f} s")
    print("walking distance on sparser segments of the 10,000-door town (context: the cut's advantage is largest "
          "on dense streets, where sorting by number zig-zags across the street at every door):")
    places = town(sizes[0])
    for fraction in (0.5, 0.2):
        seconds, stats, naive = measure(subset(places, fraction))
        total = stats["distance_m"]["total"]
        print(f"  {fraction:.0%} of doors: {stats['households']} doors, cut {total / 1000:.1f} km, "
              f"naive {naive / 1000:.1f} km, naive/cut {naive / total:.2f}x")


def worker_bench(households: int = 100_000):
    """The whole job inside a real worker: read the segment, cut, write every turf and stop."""
    import subprocess
    import uuid

    import django
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
    django.setup()
    from django.core.management import call_command
    from django.db import connection, transaction

    from contacts.models import Contact, ContactAddress, OrganizationContact
    from contacts.pgcopy import copy_insert
    from jobs.models import Job
    from organizations.models import Coalition, Organization
    from turfs.models import TurfCut
    from turfs.services import turf_cut_start

    call_command("migrate", verbosity=0)
    places = town(households)
    tag = uuid.uuid4().hex[:8]
    coalition = Coalition.objects.create(name=f"bench {tag}", slug=f"bench-{tag}")
    org = Organization.objects.create(coalition=coalition, slug=f"bench-{tag}", name="Bench", short_name="bench")
    started = time.perf_counter()
    with transaction.atomic():  # COPY (contacts.pgcopy): the setup is not what is measured
        contacts = [Contact(coalition=coalition, given_name=p.ref, family_name="Bench") for p in places]
        copy_insert(Contact, contacts)
        copy_insert(OrganizationContact, [OrganizationContact(organization=org, contact=c) for c in contacts])
        copy_insert(ContactAddress, [ContactAddress(
            contact=c, line1=f"{p.number} {p.street}", line2=p.unit, postal_code=p.zip, number=p.number,
            street=p.street.upper(), unit=p.unit, latitude=p.lat, longitude=p.lon, precision="exact", parsed=True,
            primary=True, supplied_by=[org.pk]) for c, p in zip(contacts, places)])
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE")  # as autovacuum would have on a live database
    print(f"worker: loaded {len(places)} contacts in {time.perf_counter() - started:.1f} s (setup, not timed)")
    from jobs.queues import queue
    queue("default").empty()  # jobs earlier benchmarks left (bench_forms' 8,000 outbox jobs) are not this one's
    with transaction.atomic():
        cut = turf_cut_start(organization=org, actor=None, segment={"zips": ["06106"]}, target=TARGET)
    root = Path(__file__).resolve().parent.parent
    subprocess.run([sys.executable, str(root / "manage.py"), "rqworker", "--burst", "default"], cwd=root,
                   check=True, capture_output=True)
    job = Job.objects.get(pk=cut.job_id)
    cut = TurfCut.objects.get(pk=cut.pk)
    seconds = (job.finished_at - job.started_at).total_seconds()
    print(f"worker: job {job.status}; {cut.stats.get('households')} doors -> {cut.stats.get('turfs')} turfs in "
          f"{seconds:.2f} s inside the worker; goal <= 10 s; phases {cut.stats.get('timings')}")


if __name__ == "__main__":
    main()
    if os.environ.get("DATABASE_URL") and os.environ.get("REDIS_URL"):
        worker_bench(int(os.environ.get("BENCH_TURF_WORKER_SIZE", "100000")))
    else:
        print("worker: skipped (no DATABASE_URL / REDIS_URL; run under `make bench`)")
