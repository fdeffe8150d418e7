"""`make demo` as a visitor runs it: the demo's front door, a booking whose confirmation
the outbox worker beside the server delivers to the local mailbox (var/mail/) — so
Messages shows it as sent — with a manage link on the port the demo serves; and the
worker stops with the server. Runs the real Makefile, gunicorn and worker on an SQLite
database in a temporary var/ (the demo's own database; skipped in the PostgreSQL run)."""

from __future__ import annotations

import json
import os
import random
import re
import signal
import socket
import sqlite3
import subprocess
import time
import urllib.request
from datetime import date, timedelta
from pathlib import Path

import pytest
from django.db import connection

from praksis.people.identity import synthetic_se

ROOT = Path(__file__).resolve().parents[2]
pytestmark = pytest.mark.skipif(
    connection.vendor != "sqlite", reason="the demo serves an SQLite database under var/"
)
# What the test runner's own environment must not pass on to the demo.
NOT_INHERITED = ("PRAKSIS_", "EMAIL_", "SMS_", "DATABASE_URL", "DEBUG", "PORT", "MAKE", "MFLAGS")


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@pytest.fixture
def var_dir(tmp_path) -> Path:
    return tmp_path


def _start(var: Path, port: int) -> subprocess.Popen:
    env = {k: v for k, v in os.environ.items() if not k.startswith(NOT_INHERITED)}
    env.update(PRAKSIS_VAR_DIR=str(var), PORT=str(port))
    log = open(var / f"make-demo-{port}.log", "wb")  # noqa: SIM115 (closed with the process)
    return subprocess.Popen(
        ["make", "demo"], cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT,
        start_new_session=True,  # its own process group: what Ctrl-C reaches
    )  # fmt: skip


def _open(url: str, data: dict | None = None, timeout: float = 10):
    request = urllib.request.Request(url)
    if data is not None:
        request = urllib.request.Request(
            url, data=json.dumps(data).encode(), method="POST",
            headers={"Content-Type": "application/json", "Accept-Language": "en"},
        )  # fmt: skip
    opener = urllib.request.build_opener(urllib.request.ProxyHandler({}))  # loopback only
    with opener.open(request, timeout=timeout) as response:
        return response.status, response.read()


def _wait_until(condition, seconds: float, what: str):
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        result = condition()
        if result:
            return result
        time.sleep(0.5)
    raise AssertionError(f"timed out waiting for {what}")


def _up(base: str) -> bool:
    try:
        return _open(f"{base}/healthz", timeout=1)[0] == 200
    except OSError:
        return False


def _group_gone(process: subprocess.Popen) -> bool:
    try:
        os.killpg(process.pid, 0)
    except ProcessLookupError:
        return True
    return False


def _stop(process: subprocess.Popen) -> None:
    """Whatever a failed test left running of this make's own process group."""
    if not _group_gone(process):
        os.killpg(process.pid, signal.SIGKILL)
    process.wait(10)


def _book(base: str) -> dict:
    services = json.loads(_open(f"{base}/api/v1/public/lund-optik/services")[1])["items"]
    first, last = date.today() + timedelta(days=7), date.today() + timedelta(days=14)
    slots = json.loads(
        _open(
            f"{base}/api/v1/public/lund-optik/availability?service={services[0]['id']}"
            f"&from={first}&to={last}"
        )[1]
    )["items"]
    number = synthetic_se(random.Random("make-demo"), date(1979, 4, 2))
    status, body = _open(
        f"{base}/api/v1/public/lund-optik/bookings",
        {
            "service": services[0]["id"],
            "start": slots[0]["start"],
            "first_name": "Edit",
            "last_name": "Sandström",
            "email": "edit.sandstrom@example.com",
            "identity_number": number,
            "accept_privacy_notice": True,
        },
    )
    assert status == 201
    return json.loads(body)


def _confirmation_status(var: Path, appointment_id: int) -> str | None:
    with sqlite3.connect(var / "praksis.sqlite3", timeout=10) as db:
        row = db.execute(
            "SELECT status FROM messaging_outboxmessage WHERE kind = 'confirmation' "
            "AND related_type = 'appointment' AND related_id = ?",
            (appointment_id,),
        ).fetchone()
    return row[0] if row else None


def _gunicorn_master(process: subprocess.Popen) -> int:
    """The server's master process in this make's own process group."""
    group = {}
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                stat = (entry / "stat").read_text().rsplit(")", 1)[1].split()
                command = (entry / "cmdline").read_bytes().replace(b"\0", b" ").decode()
            except OSError:
                continue
            if int(stat[2]) == process.pid:  # the process group
                group[int(entry.name)] = (int(stat[1]), command)
    servers = {pid for pid, (_parent, command) in group.items() if "bin/gunicorn" in command}
    (master,) = {pid for pid in servers if group[pid][0] not in servers}
    return master


def test_make_demo_delivers_a_confirmation_to_the_local_mailbox_and_shows_it_sent(var_dir):
    """...and when the server stops, the worker beside it stops too."""
    port = _free_port()
    base = f"http://127.0.0.1:{port}"
    demo = _start(var_dir, port)
    try:
        _wait_until(lambda: _up(base), 240, "the demo server")
        front = _open(f"{base}/")[1].decode()
        assert "owner@lund-optik.test" in front and "praksis-demo" in front

        booking = _book(base)
        _wait_until(lambda: _confirmation_status(var_dir, booking["id"]) == "sent", 30, "delivery")
        mail = "\n".join(p.read_text() for p in (var_dir / "mail").iterdir())
        assert "edit.sandstrom@example.com" in mail
        link = re.search(rf"{re.escape(base)}/lund-optik/booking/\S+/", mail).group(0)
        assert _open(link)[0] == 200  # the link in the mailbox opens the booking

        os.kill(_gunicorn_master(demo), signal.SIGTERM)  # the server stops (not Ctrl-C)
        demo.wait(60)
        _wait_until(lambda: _group_gone(demo), 15, "the worker to stop with the server")
    finally:
        _stop(demo)
