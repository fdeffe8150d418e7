"""The demo server as a client meets it, for the races on SQLite: a fresh database file
under a test's tmp_path, the `praksis` command line on it, and gunicorn (several workers
and threads) serving it on a free loopback port."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
PRAKSIS = [sys.executable, "-m", "praksis.cli"]


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def demo_env(tmp_path: Path, **settings: str) -> dict[str, str]:
    """The environment of a development server whose data lives under ``tmp_path``."""
    return {
        **{k: v for k, v in os.environ.items() if k not in ("DATABASE_URL", "PRAKSIS_ENV")},
        "PRAKSIS_ENV": "development",
        "PRAKSIS_VAR_DIR": str(tmp_path),
        **settings,
    }


def praksis(env: dict, *args: str, **kwargs) -> subprocess.CompletedProcess:
    """Run the `praksis` command line against that server's database."""
    return subprocess.run([*PRAKSIS, *args], env=env, check=True, cwd=ROOT, **kwargs)


@dataclass
class Server:
    base: str
    errors: str = field(default="")


@contextmanager
def gunicorn(env: dict) -> Iterator[Server]:
    """gunicorn on the database of ``env`` (2 workers x 8 threads), ready to answer; its
    standard error is in ``server.errors`` once the block has ended."""
    port = free_port()
    process = subprocess.Popen(
        [sys.executable, "-m", "gunicorn", "praksis.wsgi:application", "--bind",
         f"127.0.0.1:{port}", "--workers", "2", "--threads", "8", "--worker-class", "gthread"],
        env=env, cwd=ROOT, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
    )  # fmt: skip
    server = Server(f"http://127.0.0.1:{port}")
    try:
        for _ in range(100):
            try:
                urllib.request.urlopen(f"{server.base}/healthz", timeout=1).close()
                break
            except OSError:
                time.sleep(0.1)
        yield server
    finally:
        process.terminate()
        _out, errors = process.communicate(timeout=10)
        server.errors = errors.decode(errors="replace") if errors else ""
