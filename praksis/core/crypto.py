"""Keys derived from the deployment key ``PRAKSIS_KEY`` (one purpose, one sub-key)."""

from __future__ import annotations

import base64
import functools
import hashlib
import hmac

from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.kdf.hkdf import HKDF
from django.conf import settings


@functools.cache
def _derive(master: str, purpose: str) -> bytes:
    return HKDF(
        algorithm=hashes.SHA256(), length=32, salt=b"praksis", info=purpose.encode()
    ).derive(base64.urlsafe_b64decode(master))


def subkey(purpose: str) -> bytes:
    return _derive(settings.PRAKSIS_KEY, purpose)


def mac(purpose: str, message: str) -> str:
    return hmac.new(subkey(purpose), message.encode(), hashlib.sha256).hexdigest()


def sha256_hex(value: str) -> str:
    return hashlib.sha256(value.encode()).hexdigest()


def subkeys(purpose: str) -> list[bytes]:
    """The sub-key for ``purpose`` under the current deployment key, then under the
    previous one while a rotation is under way (``PRAKSIS_KEY_PREVIOUS``)."""
    keys = [subkey(purpose)]
    previous = getattr(settings, "PRAKSIS_KEY_PREVIOUS", None)
    if previous and previous != settings.PRAKSIS_KEY:
        keys.append(_derive(previous, purpose))
    return keys


def mac_digest(purpose: str, message: str) -> bytes:
    """HMAC-SHA256 of ``message`` under the current sub-key, as 32 bytes (for indexes)."""
    return hmac.digest(subkey(purpose), message.encode(), "sha256")


def mac_digests(purpose: str, message: str) -> list[bytes]:
    """:func:`mac_digest` under every sub-key in :func:`subkeys` (current first)."""
    return [hmac.digest(key, message.encode(), "sha256") for key in subkeys(purpose)]
