"""Encrypted backups of the database, and loading one into an empty database (issue 16).

A backup is the database as the engine's own tool writes it — SQLite's online backup
API, PostgreSQL's ``pg_dump`` (custom format) — encrypted with AES-256-GCM in chunks
under a key derived from the deployment key (``PRAKSIS_KEY``; the database never holds
it), and a manifest beside it: when, which engine, the schema (each app's last
migration), the encrypted file's SHA-256 and size, and when it expires
(``PRAKSIS_BACKUP_DAYS``, 35 by default; :func:`expire` deletes older ones).

:func:`load` puts a backup into an *empty* database: SQLite through a temporary file
renamed over the database (a load killed half-way leaves the target as it was);
PostgreSQL with ``pg_restore --clean --if-exists`` (run again, it starts over). What
must happen after a load — replaying the erasures the backup does not know — is the
privacy engine's (``praksis.privacy.restore``).
"""

from __future__ import annotations

import hashlib
import json
import os
import secrets
import sqlite3
import struct
import subprocess
import tempfile
from datetime import UTC, datetime, timedelta
from pathlib import Path

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from django.conf import settings
from django.db import connection
from django.db.migrations.recorder import MigrationRecorder

from praksis.core.crypto import subkey

MAGIC = b"PRAKSISBK1"
RESTORE_FLAG = "restore-pending.json"  # in PRAKSIS_VAR_DIR while a restore is unfinished
CHUNK = 1 << 20
SUFFIX = ".praksis-backup"


class BackupError(Exception):
    pass


def _key() -> bytes:
    return subkey("backup")


def _encrypt(source: Path, target: Path) -> None:
    aes = AESGCM(_key())
    prefix = secrets.token_bytes(4)
    with open(source, "rb") as plain, open(target, "wb") as out:
        out.write(MAGIC + prefix)
        counter = 0
        while True:
            block = plain.read(CHUNK)
            last = len(block) < CHUNK
            nonce = prefix + struct.pack(">Q", counter)
            # The last chunk says so, under the tag: a backup cut short is refused.
            flag = b"L" if last else b"M"
            sealed = aes.encrypt(nonce, block, flag)
            out.write(flag + struct.pack(">I", len(sealed)) + sealed)
            counter += 1
            if last:
                break
        out.flush()
        os.fsync(out.fileno())


def _decrypt(source: Path, target: Path) -> None:
    aes = AESGCM(_key())
    with open(source, "rb") as sealed, open(target, "wb") as out:
        head = sealed.read(len(MAGIC) + 4)
        if head[: len(MAGIC)] != MAGIC:
            raise BackupError(f"{source}: not a Praksis backup")
        prefix, counter = head[len(MAGIC) :], 0
        while True:
            frame = sealed.read(5)
            if len(frame) < 5 or frame[:1] not in (b"L", b"M"):
                raise BackupError(f"{source}: cut short")
            flag, block = frame[:1], sealed.read(struct.unpack(">I", frame[1:])[0])
            nonce = prefix + struct.pack(">Q", counter)
            try:
                plain = aes.decrypt(nonce, block, flag)
            except InvalidTag as exc:
                raise BackupError(f"{source}: does not decrypt (wrong key or altered)") from exc
            last = flag == b"L"
            out.write(plain)
            counter += 1
            if last:
                break


def _sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        for block in iter(lambda: handle.read(CHUNK), b""):
            digest.update(block)
    return digest.hexdigest()


def _schema() -> dict[str, str]:
    applied = MigrationRecorder.Migration.objects.order_by("app", "name")
    return {m.app: m.name for m in applied}


def _pg_args() -> tuple[list[str], dict]:
    db = connection.settings_dict
    args = ["-h", db.get("HOST") or "127.0.0.1", "-U", db.get("USER") or "postgres"]
    if db.get("PORT"):
        args += ["-p", str(db["PORT"])]
    env = {**os.environ}
    if db.get("PASSWORD"):
        env["PGPASSWORD"] = db["PASSWORD"]
    return args, env


def backup(directory: Path) -> Path:
    """Write an encrypted backup and its manifest into ``directory``; returns its path."""
    directory.mkdir(parents=True, exist_ok=True)
    created = datetime.now(UTC)
    name = created.strftime("praksis-%Y%m%dT%H%M%S%fZ")
    target = directory / f"{name}{SUFFIX}"
    vendor = connection.vendor
    with tempfile.TemporaryDirectory(dir=directory) as work:
        plain = Path(work) / "plain"
        if vendor == "sqlite":
            connection.ensure_connection()
            with sqlite3.connect(plain) as copy:
                connection.connection.backup(copy)  # the online backup API: consistent
        elif vendor == "postgresql":
            args, env = _pg_args()
            subprocess.run(
                ["pg_dump", "-Fc", "--no-owner", *args, "-f", str(plain),
                 connection.settings_dict["NAME"]],
                check=True, env=env, capture_output=True,
            )  # fmt: skip
        else:
            raise BackupError(f"no backup for {vendor}")
        _encrypt(plain, target.with_suffix(".partial"))
    os.replace(target.with_suffix(".partial"), target)
    manifest = {
        "format": 1,
        "created_at": created.isoformat(),
        "database": vendor,
        "schema": _schema(),
        "sha256": _sha256(target),
        "size": target.stat().st_size,
        "expires_at": (created + timedelta(days=backup_days())).isoformat(),
    }
    manifest_path(target).write_text(json.dumps(manifest, indent=2))
    return target


def backup_days() -> int:
    return int(getattr(settings, "PRAKSIS_BACKUP_DAYS", 35))


def manifest_path(target: Path) -> Path:
    return target.with_name(target.name + ".manifest.json")


def manifest(target: Path) -> dict:
    """The backup's manifest, once the file matches its checksum."""
    path = manifest_path(target)
    if not target.exists() or not path.exists():
        raise BackupError(f"{target}: the backup or its manifest is missing")
    found = json.loads(path.read_text())
    if _sha256(target) != found.get("sha256"):
        raise BackupError(f"{target}: does not match its manifest's checksum")
    return found


def expire(directory: Path, *, now: datetime | None = None) -> list[Path]:
    """Delete the backups (and manifests) past their expiry; returns what went."""
    now = now or datetime.now(UTC)
    gone = []
    for target in sorted(directory.glob(f"*{SUFFIX}")):
        path = manifest_path(target)
        try:
            expires = datetime.fromisoformat(json.loads(path.read_text())["expires_at"])
        except (OSError, ValueError, KeyError):
            continue
        if expires <= now:
            target.unlink(missing_ok=True)
            path.unlink(missing_ok=True)
            gone.append(target)
    return gone


def database_is_empty() -> bool:
    tables = [t for t in connection.introspection.table_names() if not t.startswith("sqlite_")]
    return not tables


def load(target: Path) -> dict:
    """Put the backup into the (empty) database of the settings; returns its manifest."""
    found = manifest(target)
    db = connection.settings_dict
    if found["database"] != connection.vendor:
        raise BackupError(f"a {found['database']} backup cannot go into {connection.vendor}")
    with tempfile.TemporaryDirectory() as work:
        plain = Path(work) / "plain"
        _decrypt(target, plain)
        if connection.vendor == "sqlite":
            connection.close()
            database = Path(db["NAME"])
            staging = database.with_name(database.name + ".restoring")
            with sqlite3.connect(plain) as source, sqlite3.connect(staging) as copy:
                source.backup(copy)
            os.replace(staging, database)  # atomic: all of it, or the target as it was
            for side in ("-wal", "-shm"):
                database.with_name(database.name + side).unlink(missing_ok=True)
        else:
            args, env = _pg_args()
            connection.close()
            subprocess.run(
                ["pg_restore", "--clean", "--if-exists", "--no-owner", "--exit-on-error",
                 *args, "-d", db["NAME"], str(plain)],
                check=True, env=env, capture_output=True,
            )  # fmt: skip
    return found
