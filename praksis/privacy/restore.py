"""Restoring a backup so that erasures stay erased (issue 16).

:func:`restore` loads a backup into an empty database (``praksis.core.backup``), then
replays every erasure the evidence store's ledger holds that is newer than the backup,
through the one erasure path (``erase_person``) — the person, their animals and the
data keys destroyed — before the server serves anyone: while ``restore-pending.json`` is
in ``PRAKSIS_VAR_DIR``, ``/healthz`` answers 503. A ledger that cannot be read or does
not verify stops the restore there (the flag stays: nothing is served). Run again after
a crash, it starts over and writes nothing twice (an erasure already replayed finds no
one; keys already destroyed stay so). At the end the evidence store records the restore
and a checkpoint of the restored log, so ``verify-access-log`` measures the log from there.
"""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path

from django.conf import settings
from django.utils import timezone

from praksis.audit.checkpoints import checkpoint_write
from praksis.clinics.access import system_actor
from praksis.clinics.models import Clinic
from praksis.core import backup, evidence
from praksis.people.models import DataKey, Person
from praksis.privacy import erasure

FLAG = backup.RESTORE_FLAG


class RestoreRefused(Exception):
    pass


def flag_path() -> Path:
    return Path(settings.VAR_DIR) / FLAG


def pending() -> bool:
    return flag_path().exists()


def _ledger() -> list[dict]:
    if not evidence.configured():
        raise RestoreRefused(
            "PRAKSIS_EVIDENCE_DIR is not set: without the erasure ledger a restore could "
            "bring erased people back"
        )
    if not evidence.exists():
        # An installation that has run keeps checkpoints there: no file, no evidence.
        raise RestoreRefused(
            "the erasure ledger is missing from the evidence store: restore it first"
        )
    try:
        return list(evidence.records("erasure"))
    except (evidence.EvidenceError, OSError) as exc:
        raise RestoreRefused(f"the erasure ledger does not verify: {exc}") from exc


def restore(target: Path, *, say=print) -> dict:
    """Load ``target`` into the empty database and replay the newer erasures."""
    flag = flag_path()
    flag.parent.mkdir(parents=True, exist_ok=True)
    resumed = flag.exists()
    if not resumed and not backup.database_is_empty():
        raise RestoreRefused("the database is not empty: restore only into an empty one")
    flag.write_text(json.dumps({"backup": str(target), "started_at": timezone.now().isoformat()}))
    ledger = _ledger()  # refuse before touching anything
    manifest = backup.load(target)
    say(f"loaded {target.name} ({manifest['created_at']})")
    taken = datetime.fromisoformat(manifest["created_at"])
    newer = [e for e in ledger if datetime.fromisoformat(e["at"]) > taken]
    replayed = 0
    for entry in newer:
        replayed += _replay(entry, say)
    ledger = _ledger()  # still the same, still signed, after the load
    evidence.append(
        "restore",
        {"backup": target.name, "backup_created_at": manifest["created_at"],
         "erasures_replayed": replayed},
    )  # fmt: skip
    checkpoint_write("restore")
    flag.unlink()
    return {"manifest": manifest, "replayed": replayed, "ledger": len(ledger)}


def _replay(entry: dict, say) -> int:
    """One erasure again, through the one path; the keys it destroyed destroyed again."""
    clinic = Clinic.objects.filter(pk=entry["clinic_id"]).first()
    if clinic is None:
        return 0
    done = 0
    person = Person.objects.filter(clinic=clinic, pk=entry["person_id"]).first()
    if person is not None and (person.first_name or person.identity_hash or person.email):
        with erasure.replaying():
            erasure.erase_person(actor=system_actor(clinic, channel="system"), person_id=person.pk)
        done = 1
        say(f"erasure replayed: {clinic.slug} person {entry['person_id']}")
    keys = entry.get("keys_destroyed") or []
    if keys:
        DataKey.objects.filter(pk__in=keys, destroyed_at__isnull=True).update(
            wrapped_key=None, destroyed_at=datetime.now(UTC)
        )
    return done
