"""Encryption of health data at rest (REQ-34): AES-GCM under a per-subject data key.

Each person (or animal) gets a random 256-bit data key, stored only wrapped (AES-GCM)
by a key-encryption key derived from ``PRAKSIS_KEY``. Ciphertext is bound to where it
belongs by associated data (clinic, subject, purpose), so it cannot be moved to another
row or record. Rotating the deployment key re-wraps the data keys only
(:func:`rewrap_all`); destroying a data key makes every copy of that subject's health
data unreadable, in backups too.
"""

from __future__ import annotations

import base64
import functools
import hashlib
import os

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.kdf.hkdf import HKDF
from django.conf import settings
from django.db import transaction
from django.utils import timezone

from praksis.people.models import Animal, DataKey, Person

NONCE = 12


class KeyDestroyed(Exception):
    """The subject's data key was destroyed: their encrypted data is gone for good."""


class VaultError(Exception):
    """Ciphertext that does not decrypt (tampered, moved, or under an unknown key)."""


@functools.cache
def _kek(master_b64: str) -> tuple[str, bytes]:
    master = base64.urlsafe_b64decode(master_b64)
    kek = HKDF(algorithm=hashes.SHA256(), length=32, salt=b"praksis", info=b"data-key-wrap").derive(
        master
    )
    return hashlib.sha256(kek).hexdigest()[:16], kek


def _keks() -> dict[str, bytes]:
    """The current key-encryption key, and the previous one while rotating."""
    keks = dict([_kek(settings.PRAKSIS_KEY)])
    previous = getattr(settings, "PRAKSIS_KEY_PREVIOUS", None)
    if previous:
        keks.update([_kek(previous)])
    return keks


def _current_kek() -> tuple[str, bytes]:
    return _kek(settings.PRAKSIS_KEY)


def _subject(subject) -> dict:
    if isinstance(subject, Person):
        return {"person": subject}
    if isinstance(subject, Animal):
        return {"animal": subject}
    raise TypeError(subject)


def _wrap(data_key: bytes, clinic_id: int) -> tuple[str, bytes]:
    kek_id, kek = _current_kek()
    nonce = os.urandom(NONCE)
    aad = f"datakey:{clinic_id}".encode()
    return kek_id, nonce + AESGCM(kek).encrypt(nonce, data_key, aad)


def _unwrap(key: DataKey) -> bytes:
    if key.destroyed_at is not None or key.wrapped_key is None:
        raise KeyDestroyed
    kek = _keks().get(key.kek_id)
    if kek is None:
        raise VaultError("data key wrapped by an unknown deployment key")
    blob = bytes(key.wrapped_key)
    try:
        return AESGCM(kek).decrypt(blob[:NONCE], blob[NONCE:], f"datakey:{key.clinic_id}".encode())
    except InvalidTag as exc:
        raise VaultError("data key does not unwrap") from exc


def data_key_for(subject) -> DataKey:
    """The subject's data key, created on first use."""
    found = DataKey.objects.filter(**_subject(subject)).first()
    if found is not None:
        return found
    kek_id, wrapped = _wrap(AESGCM.generate_key(bit_length=256), subject.clinic_id)
    with transaction.atomic():
        key, _created = DataKey.objects.get_or_create(
            **_subject(subject),
            defaults={"clinic_id": subject.clinic_id, "wrapped_key": wrapped, "kek_id": kek_id},
        )
    return key


def _aad(key: DataKey, purpose: str) -> bytes:
    subject = f"p{key.person_id}" if key.person_id else f"a{key.animal_id}"
    return f"{key.clinic_id}:{subject}:{purpose}".encode()


def encrypt(subject, plaintext: bytes, *, purpose: str) -> bytes:
    key = data_key_for(subject)
    nonce = os.urandom(NONCE)
    return nonce + AESGCM(_unwrap(key)).encrypt(nonce, plaintext, _aad(key, purpose))


def decrypt(key: DataKey, blob: bytes, *, purpose: str) -> bytes:
    blob = bytes(blob)
    try:
        return AESGCM(_unwrap(key)).decrypt(blob[:NONCE], blob[NONCE:], _aad(key, purpose))
    except InvalidTag as exc:
        raise VaultError("ciphertext does not decrypt here") from exc


def destroy_key(subject) -> bool:
    """Crypto-shred: forget the subject's data key. Returns False if there was none."""
    updated = DataKey.objects.filter(**_subject(subject), destroyed_at__isnull=True).update(
        wrapped_key=None, destroyed_at=timezone.now()
    )
    return bool(updated)


def rewrap_all(*, batch_size: int = 500) -> int:
    """Re-wrap every live data key under the current deployment key (key rotation)."""
    current_id, _kek_bytes = _current_kek()
    done = 0
    while True:
        with transaction.atomic():
            batch = list(
                DataKey.objects.select_for_update(skip_locked=True)
                .filter(destroyed_at__isnull=True)
                .exclude(kek_id=current_id)[:batch_size]
            )
            if not batch:
                return done
            for key in batch:
                key.kek_id, key.wrapped_key = _wrap(_unwrap(key), key.clinic_id)
                key.save(update_fields=["kek_id", "wrapped_key"])
            done += len(batch)
