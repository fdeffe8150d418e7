#!/usr/bin/env python3
"""Run a command against a throwaway PostgreSQL 15 cluster, then tear it down.

    python scripts/with_postgres.py -- uv run pytest

initdb refuses to run as root, so the cluster belongs to the ``postgres`` user (when we
are root) and lives in a temporary directory; it listens on a free loopback port only.
The command runs with ``DATABASE_URL`` pointing at a fresh database.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path

PG_BIN_CANDIDATES = ["/usr/lib/postgresql/15/bin", "/usr/local/pgsql/bin"]


def pg_bin() -> Path:
    for candidate in PG_BIN_CANDIDATES:
        if (Path(candidate) / "pg_ctl").exists():
            return Path(candidate)
    found = shutil.which("pg_ctl")
    if found:
        return Path(found).parent
    sys.exit("PostgreSQL 15 server binaries not found (apt-get install postgresql-15)")


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _as_postgres(cmd: list[str]) -> list[str]:
    if os.geteuid() == 0:
        return ["runuser", "-u", "postgres", "--", *cmd]
    return cmd


@contextlib.contextmanager
def postgres_cluster(*, extra_conf: dict[str, str] | None = None):
    """Start a cluster; yield its base URL (``postgres://postgres@127.0.0.1:PORT``)."""
    bindir = pg_bin()
    root = Path(tempfile.mkdtemp(prefix="praksis-pg-"))
    data = root / "data"
    if os.geteuid() == 0:
        shutil.chown(root, "postgres", "postgres")
    port = free_port()
    subprocess.run(
        _as_postgres(
            [str(bindir / "initdb"), "-D", str(data), "-U", "postgres", "-A", "trust",
             "-E", "UTF8", "--locale=C.UTF-8", "--no-sync"]
        ),
        check=True,
        stdout=subprocess.DEVNULL,
    )  # fmt: skip
    conf = {
        "listen_addresses": "'127.0.0.1'",
        "port": str(port),
        "unix_socket_directories": f"'{root}'",
        "max_connections": "200",
        "shared_buffers": "512MB",
        "fsync": "on",
        "synchronous_commit": "on",
        "log_min_messages": "warning",
        **(extra_conf or {}),
    }
    with open(data / "postgresql.conf", "a") as fh:
        for key, value in conf.items():
            fh.write(f"{key} = {value}\n")
    subprocess.run(
        _as_postgres([str(bindir / "pg_ctl"), "-D", str(data), "-l", str(root / "log"), "-w",
                      "start"]),
        check=True,
        stdout=subprocess.DEVNULL,
    )  # fmt: skip
    try:
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            ready = subprocess.run(
                [str(bindir / "pg_isready"), "-h", "127.0.0.1", "-p", str(port)],
                stdout=subprocess.DEVNULL,
            )
            if ready.returncode == 0:
                break
            time.sleep(0.2)
        yield f"postgres://postgres@127.0.0.1:{port}"
    finally:
        subprocess.run(
            _as_postgres([str(bindir / "pg_ctl"), "-D", str(data), "-m", "immediate", "stop"]),
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        shutil.rmtree(root, ignore_errors=True)


def create_database(base_url: str, name: str) -> str:
    bindir = pg_bin()
    host_port = base_url.rsplit("@", 1)[1]
    host, port = host_port.split(":")
    subprocess.run(
        [str(bindir / "createdb"), "-h", host, "-p", port, "-U", "postgres", name], check=True
    )
    return f"{base_url}/{name}"


def main(argv: list[str]) -> int:
    if "--" in argv:
        argv = argv[argv.index("--") + 1 :]
    if not argv:
        sys.exit("usage: with_postgres.py -- COMMAND [ARGS...]")
    with postgres_cluster() as base:
        url = create_database(base, "praksis")
        env = {**os.environ, "DATABASE_URL": url}
        return subprocess.run(argv, env=env).returncode


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
