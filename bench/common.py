"""What the benchmarks share: a scratch database beside DATABASE_URL's, and a real gunicorn (config.serving)."""
import atexit
import contextlib
import os
import sys
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

PROJECT_DIR = Path(__file__).resolve().parent.parent
if str(PROJECT_DIR) not in sys.path:
    sys.path.insert(0, str(PROJECT_DIR))

from config.serving import start_gunicorn, stop_gunicorn  # noqa: E402  (re-exported for the bench scripts)

__all__ = ["scratch_database", "scratch_database_until_exit", "backend_cpu_clock", "process_tree_cpu", "start_gunicorn", "stop_gunicorn",
           "PROJECT_DIR"]


@contextlib.contextmanager
def scratch_database(label: str, redis_db: int):
    """A fresh database and Redis database number for this process and its children (set in os.environ while
    the block runs, so the next benchmark of the same `make bench` starts from the original URLs), dropped
    afterwards."""
    import psycopg2

    saved = {k: os.environ.get(k) for k in ("DATABASE_URL", "REDIS_URL", "LOG_LEVEL")}
    url = urlsplit(os.environ["DATABASE_URL"])
    name = f"bench_{label}_{os.getpid()}"
    admin = psycopg2.connect(os.environ["DATABASE_URL"])
    admin.autocommit = True
    with admin.cursor() as cursor:
        cursor.execute(f'CREATE DATABASE "{name}"')
    os.environ["DATABASE_URL"] = urlunsplit(url._replace(path=f"/{name}"))
    os.environ["REDIS_URL"] = urlunsplit(urlsplit(os.environ["REDIS_URL"])._replace(path=f"/{redis_db}"))
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
    os.environ["LOG_LEVEL"] = "WARNING"
    try:
        yield name
    finally:
        for key, value in saved.items():
            if value is None:
                os.environ.pop(key, None)
            else:
                os.environ[key] = value
        with admin.cursor() as cursor:
            cursor.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        admin.close()


def scratch_database_until_exit(label: str, redis_db: int = 14) -> str:
    """scratch_database for a profiling script's whole run (bench/profile_*.py): entered now, dropped when the
    process exits."""
    scratch = scratch_database(label, redis_db)
    name = scratch.__enter__()
    atexit.register(scratch.__exit__, None, None, None)
    return name


def backend_cpu_clock():
    """A clock of the CPU seconds (user + system) spent by the PostgreSQL server process behind this process's
    Django connection (on the same machine): what a profiling script's statements cost the database."""
    import psutil
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_backend_pid()")
        backend = psutil.Process(cursor.fetchone()[0])
    return lambda: sum(backend.cpu_times()[:2])


def process_tree_cpu(process) -> float:
    """CPU of a process and its descendants, those that ended included (a reaped child's CPU moves to its parent's
    children times: PostgreSQL's autovacuum workers come and go, gunicorn recycles workers)."""
    import psutil

    total = 0.0
    for proc in [process, *process.children(recursive=True)]:
        try:
            times = proc.cpu_times()
            total += times.user + times.system + times.children_user + times.children_system
        except psutil.Error:
            pass
    return total
