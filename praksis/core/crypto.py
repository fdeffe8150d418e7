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
