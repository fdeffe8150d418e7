"""Backups that keep erasures erased (issue 16): the restore drill, on SQLite and on
PostgreSQL, with the real command line on a real database.

Take a backup, erase a person, restore the backup into an empty database: the ledger's
erasure is replayed before anything is served, so the person is gone everywhere — every
table, the decrypted content, a full dump. A restore without its ledger, or with a forged
one, refuses and ``/healthz`` stays 503; a restore that stopped half-way runs again."""

from __future__ import annotations

import json
import subprocess
import uuid
from pathlib import Path

import pytest
from django.db import connection

from praksis.core import evidence
from tests.demo_server import demo_env, praksis

pytestmark = pytest.mark.django_db(transaction=True)

FIND = """
import json
from praksis.clinics.models import Clinic
from praksis.journal.models import JournalEntry
from praksis.people.models import Person
clinic = Clinic.objects.get(slug="lund-optik")
with_entries = JournalEntry.objects.filter(clinic=clinic).values("person_id")
# A client without a journal (which the law would keep): their erasure deletes them.
person = (Person.objects.filter(clinic=clinic).exclude(pk__in=with_entries).exclude(email="")
          .exclude(identity_hash=None).order_by("pk").first())
print(json.dumps({"id": person.pk, "last_name": person.last_name, "email": person.email}))
"""

ERASE = """
from praksis.clinics.access import Actor
from praksis.clinics.models import Clinic, Membership
from praksis.privacy.erasure import erase_person
clinic = Clinic.objects.get(slug="lund-optik")
owner = Membership.objects.select_related("user").get(clinic=clinic, role="owner")
erase_person(actor=Actor(clinic=clinic, user=owner.user, role="owner", channel="ui"),
             person_id=PERSON)
"""

LOOK = """
import json
from django.test import Client
from praksis.journal.models import JournalEntry
from praksis.people.models import DataKey, Person
found = {
    "person": Person.objects.filter(pk=PERSON).exists(),
    "entries": JournalEntry.objects.filter(person_id=PERSON).count(),
    "live_keys": DataKey.objects.filter(person_id=PERSON, destroyed_at__isnull=True).count(),
    "healthz": Client().get("/healthz", HTTP_HOST="localhost").status_code,
}
print(json.dumps(found))
"""


HEALTH = """
import json
from django.test import Client
print(json.dumps({"healthz": Client().get("/healthz", HTTP_HOST="localhost").status_code}))
"""


def _dump(env) -> str:
    """The whole database as text (SQLite's dump, or pg_dump's plain SQL)."""
    url = env["DATABASE_URL"]
    if url.startswith("sqlite"):
        import sqlite3

        with sqlite3.connect(url.removeprefix("sqlite:///")) as db:
            return "\n".join(db.iterdump())
    return subprocess.run(
        ["pg_dump", "--no-owner", url], check=True, capture_output=True, text=True
    ).stdout


def _run(env, code: str, **values) -> dict:
    for name, value in values.items():
        code = code.replace(name, str(value))
    out = praksis(env, "shell", "-c", code, capture_output=True, text=True).stdout
    return json.loads(out.strip().splitlines()[-1])


@pytest.fixture
def database(tmp_path):
    """A fresh database of the pass's engine (a file for SQLite, a new database on the
    PostgreSQL server), and a way to make another, empty one."""
    made = []

    def make() -> str:
        if connection.vendor == "sqlite":
            return f"sqlite:///{tmp_path / f'db-{uuid.uuid4().hex[:8]}.sqlite3'}"
        name = f"restore_{uuid.uuid4().hex[:10]}"
        with connection.cursor() as cursor:
            cursor.execute(f'CREATE DATABASE "{name}"')
        made.append(name)
        db = connection.settings_dict
        return (
            f"postgres://{db['USER']}:{db.get('PASSWORD') or ''}@{db['HOST']}:{db['PORT']}/{name}"
        )

    yield make
    with connection.cursor() as cursor:
        for name in made:
            cursor.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


@pytest.fixture
def installation(tmp_path, database):
    seed, _public = evidence.new_key()
    env = demo_env(
        tmp_path, DATABASE_URL=database(), PRAKSIS_EVIDENCE_DIR=str(tmp_path / "evidence"),
        PRAKSIS_EVIDENCE_KEY=seed, PRAKSIS_BACKUP_DIR=str(tmp_path / "backups"),
    )  # fmt: skip
    praksis(env, "migrate", "-v0")
    praksis(env, "seed-demo", "--persons", "12", capture_output=True)
    return env


def _refused(env, archive) -> subprocess.CompletedProcess:
    """``praksis restore`` expected to fail (its exit code and messages)."""
    try:
        done = praksis(env, "restore", str(archive), capture_output=True, text=True)
    except subprocess.CalledProcessError as failed:
        return failed
    raise AssertionError(f"the restore went through: {done.stdout}")  # pragma: no cover


def _backup(env) -> Path:
    out = praksis(env, "backup", capture_output=True, text=True).stdout
    path = Path(out.strip().splitlines()[0])
    assert path.exists() and Path(f"{path}.manifest.json").exists()
    return path


def test_req08_a_restored_backup_keeps_an_erased_person_erased(installation, database, tmp_path):
    env = installation
    person = _run(env, FIND)
    archive = _backup(env)
    assert person["email"].encode() not in archive.read_bytes()  # encrypted
    _run(env, ERASE + "\nprint('{}')", PERSON=person["id"])
    praksis(env, "verify-access-log", capture_output=True)
    erased = _run(env, LOOK, PERSON=person["id"])
    assert erased == {"person": False, "entries": 0, "live_keys": 0, "healthz": 200}

    restored = {**env, "DATABASE_URL": database()}  # an empty database
    out = praksis(restored, "restore", str(archive), capture_output=True, text=True).stdout
    assert "1 erasure(s) replayed" in out
    look = _run(restored, LOOK, PERSON=person["id"])
    assert look == {"person": False, "entries": 0, "live_keys": 0, "healthz": 200}
    dump = _dump(restored)
    assert person["email"] not in dump  # nowhere in the database, in any table
    assert _dump(env).count(person["email"]) == dump.count(person["email"])  # as erased
    # The restore is on record: the restored log verifies against the checkpoints after it.
    praksis(restored, "verify-access-log", capture_output=True)


def test_a_restore_without_a_good_ledger_refuses_and_serves_nothing(
    installation, database, tmp_path
):
    env = installation
    archive = _backup(env)
    ledger = Path(env["PRAKSIS_EVIDENCE_DIR"]) / evidence.FILE
    person = _run(env, FIND)
    _run(env, ERASE + "\nprint('{}')", PERSON=person["id"])
    lines = ledger.read_text().splitlines()
    erasure = next(i for i, line in enumerate(lines) if '"kind":"erasure"' in line)
    forged = json.loads(lines[erasure])
    forged["person_id"] += 1  # a forged entry: not what was signed
    lines[erasure] = json.dumps(forged, sort_keys=True, separators=(",", ":"))
    ledger.write_text("\n".join(lines) + "\n")

    restored = {**env, "DATABASE_URL": database()}
    refused = _refused(restored, archive)
    assert refused.returncode != 0 and "does not verify" in refused.stderr
    # Nothing is served until a restore has finished.
    assert _run(restored, HEALTH) == {"healthz": 503}

    # A missing ledger refuses too.
    ledger.unlink()
    missing = _refused(restored, archive)
    assert missing.returncode != 0 and "ledger" in missing.stderr


def test_a_restore_stopped_half_way_runs_again(installation, database, tmp_path):
    env = installation
    person = _run(env, FIND)
    archive = _backup(env)
    _run(env, ERASE + "\nprint('{}')", PERSON=person["id"])
    restored = {**env, "DATABASE_URL": database()}
    # Killed after loading the backup, before the replay: the flag is up, the person back.
    half = f"""
import json
from pathlib import Path
from django.conf import settings
from praksis.core import backup
from praksis.privacy import restore
restore.flag_path().write_text("{{}}")
backup.load(Path("{archive}"))
print("{{}}")
"""
    _run(restored, half)
    assert _run(restored, HEALTH) == {"healthz": 503}
    out = praksis(restored, "restore", str(archive), capture_output=True, text=True).stdout
    assert "1 erasure(s) replayed" in out
    assert _run(restored, LOOK, PERSON=person["id"]) == {
        "person": False, "entries": 0, "live_keys": 0, "healthz": 200,
    }  # fmt: skip
