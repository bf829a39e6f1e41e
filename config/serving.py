"""A real gunicorn process (deploy/gunicorn.conf.py) on a loopback port, for the tests and benchmarks that must
talk to the production server setup rather than Django's test client."""
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import requests

PROJECT_DIR = Path(__file__).resolve().parent.parent
GUNICORN_CONF = PROJECT_DIR / "deploy" / "gunicorn.conf.py"


def start_gunicorn(port: int, *, env: dict | None = None, workers: int | None = None, threads: int | None = None,
                   ready_path: str = "/healthz", timeout: float = 90, log=None) -> subprocess.Popen:
    """Start gunicorn on 127.0.0.1:`port` and return it once `ready_path` answers 200. `workers` / `threads`
    default to deploy/gunicorn.conf.py's. Its error log goes to `log` (a file; a temp file by default), never to
    an unread pipe that would block it."""
    sizing = [*(["--workers", str(workers)] if workers else []), *(["--threads", str(threads)] if threads else [])]
    log = log if log is not None else tempfile.TemporaryFile()
    process = subprocess.Popen(
        [sys.executable, "-m", "gunicorn", "-c", str(GUNICORN_CONF), "--bind", f"127.0.0.1:{port}", *sizing,
         "--access-logfile", "/dev/null", "config.wsgi"],
        cwd=PROJECT_DIR, env=env if env is not None else os.environ.copy(), stdout=subprocess.DEVNULL, stderr=log,
        start_new_session=True)
    process.log = log
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"gunicorn exited with {process.returncode}: {error_log(process)}")
        try:  # not listening yet, or a worker still importing the app on a loaded machine
            if requests.get(f"http://127.0.0.1:{port}{ready_path}", timeout=10).status_code == 200:
                return process
        except requests.RequestException:
            pass
        time.sleep(0.2)
    stop_gunicorn(process)
    raise RuntimeError(f"gunicorn was not ready after {timeout}s: {error_log(process)}")


def error_log(process: subprocess.Popen, tail: int = 3000) -> str:
    process.log.seek(0)
    return process.log.read().decode(errors="replace")[-tail:]


def stop_gunicorn(process: subprocess.Popen, timeout: float = 30) -> None:
    if process.poll() is None:
        process.terminate()
        try:
            process.wait(timeout)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
