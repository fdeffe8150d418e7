"""Encrypt every identity number on file under its person's data key and hash it for
lookups; the plaintext column is emptied here and dropped by 0008.

People who have no data key yet get one; a person whose key was destroyed
(crypto-shredded) keeps no number at all. Batches of ids, so a million rows never sit
in memory; the writes are plain executemany (pipelined on PostgreSQL).

On PostgreSQL the old row versions keep the plaintext on disk until the table is
rewritten: run ``VACUUM FULL people_person`` after upgrading (an exclusive lock for the
time it takes; not done here for that reason). Backups taken before still hold it.
SQLite rewrites the table when 0008 drops the column.
"""

from django.db import migrations

BATCH = 2000


def encrypt_identity_numbers(apps, schema_editor):
    from praksis.people import vault

    Person = apps.get_model("people", "Person")
    DataKey = apps.get_model("people", "DataKey")
    db = schema_editor.connection.alias
    on_file = Person.objects.using(db).filter(identity_number__isnull=False).order_by("id")
    last = 0
    while True:
        rows = list(
            on_file.filter(id__gt=last).values_list("id", "clinic_id", "identity_number")[:BATCH]
        )
        if not rows:
            return
        last = rows[-1][0]
        keys = {
            key.person_id: key
            for key in DataKey.objects.using(db).filter(person_id__in=[r[0] for r in rows])
        }
        new_keys, updates = [], []
        for person_id, clinic_id, number in rows:
            key = keys.get(person_id)
            if key is None:
                sealed = vault.seal_new_identity(clinic_id, number)
                new_keys.append(
                    DataKey(clinic_id=clinic_id, person_id=person_id, kek_id=sealed.kek_id,
                            wrapped_key=sealed.wrapped_key)
                )  # fmt: skip
                updates.append((sealed.digest, sealed.ciphertext, person_id))
            elif key.destroyed_at is not None:
                updates.append((None, None, person_id))
            else:
                updates.append((*vault.seal_identity_under(key, number), person_id))
        DataKey.objects.using(db).bulk_create(new_keys)
        with schema_editor.connection.cursor() as cursor:
            cursor.executemany(
                "UPDATE people_person SET identity_hash = %s, identity_ciphertext = %s,"
                " identity_number = NULL WHERE id = %s",
                updates,
            )


def decrypt_identity_numbers(apps, schema_editor):
    """Back to plaintext (only to step back to a version that needs it)."""
    from praksis.people import vault

    Person = apps.get_model("people", "Person")
    DataKey = apps.get_model("people", "DataKey")
    db = schema_editor.connection.alias
    sealed = Person.objects.using(db).filter(identity_ciphertext__isnull=False).order_by("id")
    last = 0
    while True:
        rows = list(sealed.filter(id__gt=last).values_list("id", "identity_ciphertext")[:BATCH])
        if not rows:
            return
        last = rows[-1][0]
        keys = {
            key.person_id: key
            for key in DataKey.objects.using(db).filter(person_id__in=[r[0] for r in rows])
        }
        updates = [
            (vault.open_identity_under(keys[person_id], ciphertext), person_id)
            for person_id, ciphertext in rows
        ]
        with schema_editor.connection.cursor() as cursor:
            cursor.executemany(
                "UPDATE people_person SET identity_number = %s, identity_hash = NULL,"
                " identity_ciphertext = NULL WHERE id = %s",
                updates,
            )


class Migration(migrations.Migration):
    dependencies = [("people", "0006_person_identity_hash_and_ciphertext")]

    operations = [migrations.RunPython(encrypt_identity_numbers, decrypt_identity_numbers)]
