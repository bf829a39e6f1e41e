"""A real HTTP receiver for webhooks, and a real rq worker (with the scheduler) draining the webhooks queue."""
import json
import subprocess
import sys
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

from tests.support import PROJECT_DIR, subprocess_env


class Receiver:
    """A small http.server on a free loopback port. `statuses` are answered in order (then `default`);
    `delay` seconds of sleep before answering. Every request is kept (headers lower-cased, raw body)."""

    def __init__(self, statuses=(), default=200, delay=0.0):
        self.statuses, self.default, self.delay = list(statuses), default, delay
        self.requests = []
        self.lock = threading.Lock()
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def do_POST(self):
                body = self.rfile.read(int(self.headers.get("Content-Length", 0)))
                with receiver.lock:
                    receiver.requests.append({"path": self.path, "body": body,
                                              "headers": {k.lower(): v for k, v in self.headers.items()}})
                    status = receiver.statuses.pop(0) if receiver.statuses else receiver.default
                if receiver.delay:
                    time.sleep(receiver.delay)
                payload = b'{"ok": true}'
                self.send_response(status)
                self.send_header("Content-Length", str(len(payload)))
                self.end_headers()
                self.wfile.write(payload)

            def log_message(self, *args):
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/hooks"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def payloads(self):
        return [json.loads(r["body"]) for r in self.requests]

    def close(self):
        self.server.shutdown()
        self.server.server_close()


def drain_webhooks(until=lambda: True, timeout=60, queues=("webhooks",), **env):
    """Run `rqworker --burst --with-scheduler` (real processes) until `until()` holds after a run, so jobs that
    the scheduler holds for a retry's backoff are run as they fall due."""
    deadline = time.monotonic() + timeout
    runs = 0
    while True:
        result = subprocess.run(
            [sys.executable, str(PROJECT_DIR / "manage.py"), "rqworker", "--burst", "--with-scheduler", *queues],
            env=subprocess_env(**{k: str(v) for k, v in env.items()}), capture_output=True, text=True,
            timeout=120, cwd=PROJECT_DIR)
        assert result.returncode == 0, result.stderr[-3000:]
        runs += 1
        if until():
            return runs
        assert time.monotonic() < deadline, f"condition not reached after {runs} worker runs:\n{result.stderr[-2000:]}"
        time.sleep(0.2)
