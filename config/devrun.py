"""`make run`: embedded PostgreSQL and Redis (unless DATABASE_URL / REDIS_URL are set), migrations, demo data,
an rq worker and the web server, all stopped cleanly on Ctrl-C or SIGTERM."""
import os
import signal
import subprocess
import sys
import threading

from config.embedded import PROJECT_DIR, VAR_DIR, EmbeddedServices

PYTHON = sys.executable
MANAGE = [PYTHON, str(PROJECT_DIR / "manage.py")]
STOP_GRACE_SECONDS = 15


def main() -> int:
    port = int(os.environ.get("PORT", "8000"))
    stop = threading.Event()
    for signum in (signal.SIGINT, signal.SIGTERM):
        signal.signal(signum, lambda *_: stop.set())

    services = EmbeddedServices(VAR_DIR)
    children: list[subprocess.Popen] = []
    try:
        env = {**os.environ, **services.start(), "DJANGO_DEBUG": os.environ.get("DJANGO_DEBUG", "1"),
               "GUNICORN_WORKERS": os.environ.get("GUNICORN_WORKERS", "2")}
        subprocess.run([*MANAGE, "migrate", "--noinput", "-v0"], env=env, check=True)
        credentials = subprocess.run([*MANAGE, "seed_demo", "--print-credentials"], env=env, check=True,
                                     capture_output=True, text=True).stdout
        # Own sessions: Ctrl-C reaches only this supervisor, which then stops everything in order.
        children.append(subprocess.Popen([*MANAGE, "rqworker", "high", "default", "webhooks", "low", "--with-scheduler"],
                                         env=env, start_new_session=True))
        children.append(subprocess.Popen(
            [PYTHON, "-m", "gunicorn", "-c", str(PROJECT_DIR / "deploy" / "gunicorn.conf.py"),
             "--bind", f"127.0.0.1:{port}", "config.wsgi"], env=env, start_new_session=True))
        print(f"\nEducation Justice Now Coalition API on http://127.0.0.1:{port}/\n"
              f"  API docs:  http://127.0.0.1:{port}/api/docs/\n"
              f"  Admin:     http://127.0.0.1:{port}/admin/\n"
              f"  Try:       curl -H 'Authorization: Token <key>' http://127.0.0.1:{port}/api/v1/me\n\n"
              f"{credentials}\nCtrl-C stops the web server, the worker, Redis and PostgreSQL.\n", flush=True)
        while not stop.wait(0.5):
            exited = next((child for child in children if child.poll() is not None), None)
            if exited is not None:
                print(f"{exited.args[1:3]} exited with {exited.returncode}; stopping.", file=sys.stderr)
                return 1
        return 0
    finally:
        for child in children:
            if child.poll() is None:
                child.terminate()
        for child in children:
            try:
                child.wait(STOP_GRACE_SECONDS)
            except subprocess.TimeoutExpired:
                child.kill()
                child.wait()
        services.stop()
        print("Stopped.", flush=True)


if __name__ == "__main__":
    sys.exit(main())
