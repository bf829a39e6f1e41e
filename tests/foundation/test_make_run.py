"""`make run`'s supervisor end to end: embedded servers, demo keys, a second terminal, clean stops, reuse."""
import os
import re
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

import psutil
import pytest
import requests

from tests.support import PROJECT_DIR, free_port

pytestmark = pytest.mark.slow


class DevRun:
    def __init__(self, var_dir, port):
        self.env = {k: v for k, v in os.environ.items() if k not in ("DATABASE_URL", "REDIS_URL",
                                                                    "PYTEST_XDIST_WORKER")}
        self.env.update(COALITION_VAR_DIR=str(var_dir), PORT=str(port))
        self.port, self.lines = port, []
        self.process = subprocess.Popen([sys.executable, "-m", "config.devrun"], cwd=PROJECT_DIR, env=self.env,
                                        stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
        threading.Thread(target=lambda: self.lines.extend(iter(self.process.stdout.readline, "")), daemon=True).start()

    def wait_ready(self, timeout=180):
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if any("Ctrl-C stops" in line for line in self.lines):
                break
            assert self.process.poll() is None, "".join(self.lines)[-4000:]
            time.sleep(0.2)
        else:
            raise AssertionError("make run did not become ready:\n" + "".join(self.lines)[-4000:])
        while time.monotonic() < deadline:
            try:  # gunicorn's workers may still be importing on a loaded machine
                if requests.get(f"http://127.0.0.1:{self.port}/healthz", timeout=10).status_code == 200:
                    return
            except requests.RequestException:
                time.sleep(0.2)

    def keys(self):
        return dict(re.findall(r"^\s+(\S+)\s+(ejn_\S+)$", "".join(self.lines), re.M))

    def stop(self, signum):
        self.process.send_signal(signum)
        return self.process.wait(timeout=90)


def _descendants_alive(var_dir):
    return [p.info for p in psutil.process_iter(["pid", "cmdline"])
            if p.info["cmdline"] and any(str(var_dir) in part for part in p.info["cmdline"])]


@pytest.fixture
def var_dir():
    # Not pytest's tmp_path: pytest resets its base directory to 0700 whenever another test process starts,
    # which would lock out the unprivileged user PostgreSQL runs as when the suite runs as root.
    path = Path(tempfile.mkdtemp(prefix="coalition-makerun-"))
    yield path / "var"
    shutil.rmtree(path, ignore_errors=True)


def test_make_run_serves_demo_keys_stops_cleanly_and_reuses_its_data(var_dir):
    port = free_port()
    run = DevRun(var_dir, port)
    try:
        run.wait_ready()
        keys = run.keys()
        assert set(keys) == {"conncan", "e4e-ct", "faithacts", "ccsa", "ssfp"}
        me = requests.get(f"http://127.0.0.1:{port}/api/v1/me", headers={"Authorization": f"Token {keys['ccsa']}"})
        assert me.status_code == 200 and me.json()["organization"]["slug"] == "ccsa"
        assert requests.get(f"http://127.0.0.1:{port}/api/docs/").status_code == 200

        # a second terminal reaches the same servers with no setup
        second = subprocess.run([sys.executable, "manage.py", "create_api_key", "--org", "ssfp", "--name", "t2"],
                                cwd=PROJECT_DIR, env=run.env, capture_output=True, text=True, timeout=60)
        assert second.returncode == 0, second.stderr
        created_key = second.stdout.strip()
        assert requests.get(f"http://127.0.0.1:{port}/api/v1/me",
                            headers={"Authorization": f"Token {created_key}"}).status_code == 200
    finally:
        assert run.stop(signal.SIGINT) == 0, "".join(run.lines)[-3000:]
    assert _descendants_alive(var_dir) == [], "no orphan processes after Ctrl-C"
    assert not (var_dir / "run" / "services.env").exists()

    again = DevRun(var_dir, port)
    try:
        again.wait_ready()
        assert again.keys() == keys, "the same demo keys"
        me = requests.get(f"http://127.0.0.1:{port}/api/v1/me", headers={"Authorization": f"Token {created_key}"})
        assert me.status_code == 200, "data from the first run is reused"
    finally:
        assert again.stop(signal.SIGTERM) == 0
    assert _descendants_alive(var_dir) == []
