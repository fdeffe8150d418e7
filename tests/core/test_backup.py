"""The backup file's encryption (issue 16): it round-trips, and an altered, cut-short or
foreign file is refused, never loaded half-way."""

from __future__ import annotations

import os

import pytest

from praksis.core import backup


@pytest.fixture
def plain(tmp_path):
    path = tmp_path / "plain"
    path.write_bytes(os.urandom(backup.CHUNK * 2 + 123))  # three chunks, the last short
    return path


def _sealed(plain, tmp_path):
    target = tmp_path / "sealed"
    backup._encrypt(plain, target)
    return target


def test_a_backup_file_round_trips(plain, tmp_path):
    sealed = _sealed(plain, tmp_path)
    assert plain.read_bytes()[:64] not in sealed.read_bytes()
    backup._decrypt(sealed, tmp_path / "back")
    assert (tmp_path / "back").read_bytes() == plain.read_bytes()


@pytest.mark.parametrize("damage", ["altered", "cut", "foreign"])
def test_a_damaged_backup_file_is_refused(plain, tmp_path, damage):
    sealed = _sealed(plain, tmp_path)
    data = bytearray(sealed.read_bytes())
    if damage == "altered":
        data[len(data) // 2] ^= 1
    elif damage == "cut":
        data = data[: len(backup.MAGIC) + 4 + 5 + backup.CHUNK + 16]  # whole first chunk only
    else:
        data[:10] = b"NOTABACKUP"
    sealed.write_bytes(bytes(data))
    with pytest.raises(backup.BackupError):
        backup._decrypt(sealed, tmp_path / "back")
