"""Encryption of health data at rest (REQ-34): AES-GCM under a per-subject data key.

Each person (or animal) gets a random 256-bit data key, stored only wrapped (AES-GCM)
by a key-encryption key derived from ``PRAKSIS_KEY``. Ciphertext is bound to where it
belongs by associated data (clinic, subject, purpose), so it cannot be moved to another
row or record. Rotating the deployment key re-wraps the data keys only
(:func:`rewrap_all`); destroying a data key makes every copy of that subject's health
data unreadable, in backups too.

Identity numbers (REQ-34, REQ-35..41) are stored the same way: encrypted under the
person's data key (:func:`seal_new_identity`, :func:`identity_number_of`), so erasure's
crypto-shredding takes them too. Finding a person by number uses a keyed hash instead
(:func:`identity_digest`: HMAC-SHA256 of the clinic and the canonical number under a
sub-key of ``PRAKSIS_KEY``), which the database indexes and keeps unique per clinic; a
number cannot be read back from it without the deployment key. :func:`rewrap_all`
re-computes those hashes under the new key while it re-wraps the data keys.
"""

from __future__ import annotations

import base64
import functools
import hashlib
import os
from dataclasses import dataclass

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.kdf.hkdf import HKDF
from django.conf import settings
from django.db import transaction
from django.utils import timezone

from praksis.core.crypto import mac_digest, mac_digests
from praksis.people.identity import IdentityNumberError, parse_identity
from praksis.people.models import Animal, DataKey, Person

NONCE = 12
IDENTITY_PURPOSE = "identity-number"
_INDEX_PURPOSE = "identity-index"


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


@functools.cache
def _aead(key: bytes) -> AESGCM:
    """One AES-GCM object per key-encryption key (stateless, so safe to share)."""
    return AESGCM(key)


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
    return kek_id, nonce + _aead(kek).encrypt(nonce, data_key, aad)


def _unwrap(key: DataKey) -> bytes:
    if key.destroyed_at is not None or key.wrapped_key is None:
        raise KeyDestroyed
    kek = _keks().get(key.kek_id)
    if kek is None:
        raise VaultError("data key wrapped by an unknown deployment key")
    blob = bytes(key.wrapped_key)
    try:
        return _aead(kek).decrypt(blob[:NONCE], blob[NONCE:], f"datakey:{key.clinic_id}".encode())
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
    """Re-wrap every live data key under the current deployment key (key rotation).

    The identity-number hashes of the people whose keys these are are computed again
    under the new key in the same transaction (their numbers open with the data key at
    hand), so a key that is done is never left with a stale hash: a run that stops
    half-way resumes where it stopped, and until it is done :func:`identity_digests`
    matches hashes under the previous key too.
    """
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
            opened: dict[int, bytes] = {}
            for key in batch:
                data_key = _unwrap(key)
                key.kek_id, key.wrapped_key = _wrap(data_key, key.clinic_id)
                key.save(update_fields=["kek_id", "wrapped_key"])
                if key.person_id is not None:
                    opened[key.person_id] = data_key
            _reindex_identities(opened)
            done += len(batch)


# --- Identity numbers -------------------------------------------------------------------


@dataclass(frozen=True)
class SealedIdentity:
    """What a new person's row and their new data key store for an identity number."""

    digest: bytes  # the keyed hash: Person.identity_hash
    ciphertext: bytes  # Person.identity_ciphertext, under the new data key
    kek_id: str  # DataKey.kek_id
    wrapped_key: bytes  # DataKey.wrapped_key


def identity_digest(clinic_id: int, number: str) -> bytes:
    """The keyed hash of a canonical identity number in a clinic (what is indexed)."""
    return mac_digest(_INDEX_PURPOSE, f"{clinic_id}:{number}")


def identity_digests(clinic_id: int, number: str) -> list[bytes]:
    """:func:`identity_digest`, and while a key rotation is under way the hash under the
    previous key too: rows :func:`rewrap_all` has not reached yet still carry that one."""
    return mac_digests(_INDEX_PURPOSE, f"{clinic_id}:{number}")


def lookup_digests(clinic, typed: str | None) -> list[bytes]:
    """The hashes to look up for ``typed`` as an identity number of ``clinic``'s country,
    in any accepted form (SE 10 or 12 digits, with or without separator; NO 11 digits);
    none when it is not a valid number. What every match on a number goes through."""
    try:
        identity = parse_identity(typed, country=clinic.country, allow_test_numbers=True)
    except IdentityNumberError:
        return []
    return identity_digests(clinic.pk, identity.number)


def _identity_aad(clinic_id: int) -> bytes:
    # The key is the person's own, which binds the ciphertext to them; the associated
    # data binds clinic and purpose (the row's id does not exist yet when it is sealed).
    return f"{clinic_id}:{IDENTITY_PURPOSE}".encode()


def _seal_number(data_key: bytes, clinic_id: int, number: str) -> bytes:
    nonce = os.urandom(NONCE)
    return nonce + AESGCM(data_key).encrypt(nonce, number.encode(), _identity_aad(clinic_id))


def _open_number(data_key: bytes, clinic_id: int, blob) -> str:
    blob = bytes(blob)
    try:
        plain = AESGCM(data_key).decrypt(blob[:NONCE], blob[NONCE:], _identity_aad(clinic_id))
    except InvalidTag as exc:
        raise VaultError("identity number does not decrypt here") from exc
    return plain.decode()


def seal_new_identity(clinic_id: int, number: str) -> SealedIdentity:
    """Seal ``number`` for a person not stored yet, under a data key made for them.

    No query: bulk inserts seal thousands of people this way, then store each one's
    data key (``DataKey(person_id=…, kek_id=…, wrapped_key=…)``) after their row.
    """
    data_key = AESGCM.generate_key(bit_length=256)
    kek_id, wrapped = _wrap(data_key, clinic_id)
    return SealedIdentity(
        digest=identity_digest(clinic_id, number),
        ciphertext=_seal_number(data_key, clinic_id, number),
        kek_id=kek_id,
        wrapped_key=wrapped,
    )


def seal_identity(person: Person, number: str | None) -> DataKey | None:
    """Set ``person.identity_hash`` and ``identity_ciphertext`` for ``number``.

    A person already stored keeps their data key (made now if they had none); a new
    person gets one, returned unsaved: it is stored after their row (it needs the id).
    """
    if number is None:
        person.identity_hash = person.identity_ciphertext = None
        return None
    if person._state.adding:
        sealed = seal_new_identity(person.clinic_id, number)
        person.identity_hash, person.identity_ciphertext = sealed.digest, sealed.ciphertext
        return DataKey(
            clinic_id=person.clinic_id, kek_id=sealed.kek_id, wrapped_key=sealed.wrapped_key
        )
    person.identity_hash, person.identity_ciphertext = seal_identity_under(
        data_key_for(person), number
    )
    return None


def seal_identity_under(key, number: str) -> tuple[bytes, bytes]:
    """The hash and the ciphertext of ``number`` for the person whose live data key
    ``key`` is (a DataKey, or the migrations' historical one)."""
    ciphertext = _seal_number(_unwrap(key), key.clinic_id, number)
    return identity_digest(key.clinic_id, number), ciphertext


def open_identity_under(key, ciphertext) -> str | None:
    """The number sealed by :func:`seal_identity_under`; None once ``key`` is destroyed."""
    try:
        data_key = _unwrap(key)
    except KeyDestroyed:
        return None
    return _open_number(data_key, key.clinic_id, ciphertext)


def identity_number_of(person: Person) -> str | None:
    """The person's identity number in clear, or None: none on file, or their data key
    was destroyed (crypto-shredded). Costs their data key (one query, unless it came
    with ``select_related("data_key")``)."""
    if person.identity_ciphertext is None:
        return None
    try:
        key = person.data_key
    except DataKey.DoesNotExist as exc:
        raise VaultError("identity number without a data key") from exc
    return open_identity_under(key, person.identity_ciphertext)


def _reindex_identities(opened: dict[int, bytes]) -> None:
    """Hash again, under the current key, the numbers of people whose data keys are open."""
    people = Person.objects.filter(pk__in=opened, identity_ciphertext__isnull=False).only(
        "clinic_id", "identity_hash", "identity_ciphertext"
    )
    for person in people:
        number = _open_number(opened[person.pk], person.clinic_id, person.identity_ciphertext)
        digest = identity_digest(person.clinic_id, number)
        if bytes(person.identity_hash or b"") != digest:
            Person.objects.filter(pk=person.pk).update(identity_hash=digest)
