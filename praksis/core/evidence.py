"""The evidence store: what must outlive a restored backup or a tampered database
(issue 16).

An append-only file outside the database (``PRAKSIS_EVIDENCE_DIR``, on other storage than
the database's), one JSON record per line:

* ``checkpoint`` — the head (last row and hash) of every lane of every clinic's access
  log, written every few minutes and after each retention sweep and erasure. The
  database's log must extend every checkpoint: a deleted log, a cut tail or a head put
  back to an older one is then visible (``verify-access-log``).
* ``erasure`` — an erasure carried out: clinic, person and animal ids, the data keys
  destroyed, the time. Never content. A restore replays the ones newer than its backup.

Each record carries the hash of the one before it and is signed with Ed25519 (the key in
``PRAKSIS_EVIDENCE_KEY``, a base64 32-byte seed; a machine that only verifies may hold just
``PRAKSIS_EVIDENCE_PUBLIC_KEY``): an edited, removed, re-ordered or forged line is found by
:func:`records`. Appends take a file lock and are flushed to disk before they return.
"""

from __future__ import annotations

import base64
import fcntl
import hashlib
import json
import os
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives.asymmetric.ed25519 import (
    Ed25519PrivateKey,
    Ed25519PublicKey,
)
from django.conf import settings

FILE = "evidence.jsonl"
GENESIS = "0" * 64


class EvidenceError(Exception):
    """The evidence store cannot be read, or a record in it does not verify."""


def configured() -> bool:
    return bool(getattr(settings, "PRAKSIS_EVIDENCE_DIR", ""))


def _path() -> Path:
    return Path(settings.PRAKSIS_EVIDENCE_DIR) / FILE


def exists() -> bool:
    """The store has been written (an installation that has run has checkpoints in it)."""
    return configured() and _path().exists()


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).decode().rstrip("=")


def _unb64(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def _private_key() -> Ed25519PrivateKey:
    seed = getattr(settings, "PRAKSIS_EVIDENCE_KEY", "") or ""
    if not seed:
        raise EvidenceError("PRAKSIS_EVIDENCE_KEY is not set: the evidence store cannot sign")
    try:
        return Ed25519PrivateKey.from_private_bytes(_unb64(seed))
    except ValueError as exc:
        raise EvidenceError("PRAKSIS_EVIDENCE_KEY is not a base64 32-byte Ed25519 seed") from exc


def public_key() -> Ed25519PublicKey:
    public = getattr(settings, "PRAKSIS_EVIDENCE_PUBLIC_KEY", "") or ""
    if public:
        return Ed25519PublicKey.from_public_bytes(_unb64(public))
    return _private_key().public_key()


def public_key_text() -> str:
    """The public key as ``PRAKSIS_EVIDENCE_PUBLIC_KEY`` takes it (for verify-only hosts)."""
    from cryptography.hazmat.primitives import serialization

    raw = public_key().public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)
    return _b64(raw)


def new_key() -> tuple[str, str]:
    """A new key pair as the environment takes them: (seed, public key)."""
    from cryptography.hazmat.primitives import serialization

    key = Ed25519PrivateKey.generate()
    seed = key.private_bytes(
        serialization.Encoding.Raw, serialization.PrivateFormat.Raw, serialization.NoEncryption()
    )
    public = key.public_key().public_bytes(
        serialization.Encoding.Raw, serialization.PublicFormat.Raw
    )
    return _b64(seed), _b64(public)


def _canonical(record: dict) -> bytes:
    return json.dumps(record, sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode()


def _digest(line: str) -> str:
    return hashlib.sha256(line.encode()).hexdigest()


def _last(handle) -> tuple[int, str]:
    """The last record's number and the hash of its line (0 and GENESIS when empty)."""
    handle.seek(0, os.SEEK_END)
    size = handle.tell()
    if size == 0:
        return 0, GENESIS
    back = min(size, 65536)
    handle.seek(size - back)
    lines = handle.read(back).decode().rstrip("\n").split("\n")
    line = lines[-1]
    return json.loads(line)["n"], _digest(line)


def append(kind: str, payload: dict, *, at: datetime | None = None) -> dict:
    """Sign and append one record; returns it. Raises :class:`EvidenceError` when the
    store is not configured or cannot be written (the caller decides whether to go on)."""
    if not configured():
        raise EvidenceError("PRAKSIS_EVIDENCE_DIR is not set")
    key = _private_key()
    path = _path()
    path.parent.mkdir(parents=True, exist_ok=True)
    with open(path, "a+b") as handle:
        fcntl.flock(handle, fcntl.LOCK_EX)
        try:
            number, prev = _last(handle)
            record = {
                **payload,
                "v": 1,
                "n": number + 1,
                "kind": kind,
                "at": (at or datetime.now(UTC)).isoformat(timespec="microseconds"),
                "prev": prev,
            }
            record["sig"] = _b64(key.sign(_canonical(record)))
            handle.seek(0, os.SEEK_END)
            handle.write(_canonical(record) + b"\n")
            handle.flush()
            os.fsync(handle.fileno())
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)
    return record


def records(kind: str | None = None) -> Iterator[dict]:
    """Every record, in order, each checked: its signature, its number, and the hash of
    the line before it. The first that fails raises :class:`EvidenceError` naming it."""
    if not configured():
        return
    path = _path()
    if not path.exists():
        return
    verifier = public_key()
    prev, expected = GENESIS, 1
    with open(path, encoding="utf-8") as handle:
        for number, line in enumerate(handle, start=1):
            line = line.rstrip("\n")
            try:
                record = json.loads(line)
                signature = _unb64(record.pop("sig"))
                verifier.verify(signature, _canonical(record))
            except (ValueError, KeyError, TypeError, InvalidSignature) as exc:
                raise EvidenceError(f"evidence store line {number}: not signed by our key") from exc
            if record.get("n") != expected or record.get("prev") != prev:
                raise EvidenceError(
                    f"evidence store line {number}: out of order (a line before it was "
                    "removed, re-ordered or changed)"
                )
            prev, expected = _digest(line), expected + 1
            if kind is None or record["kind"] == kind:
                yield record
