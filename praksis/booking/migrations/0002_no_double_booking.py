"""Never two bookings in one slot, enforced by the database.

PostgreSQL: an exclusion constraint over the practitioner and the busy range of every
booked appointment. SQLite: triggers that refuse an insert or update overlapping a booked
appointment (writes are serialised there, so a check before writing is race-free).
"""

from django.db import migrations

from praksis.core.operations import RunSQLFor

OVERLAP = """
    EXISTS (SELECT 1 FROM booking_appointment AS other
            WHERE other.practitioner_id = NEW.practitioner_id
              AND other.status = 'booked'
              AND other.id IS NOT NEW.id
              AND other.start < NEW.busy_until
              AND other.busy_until > NEW.start)
"""


class Migration(migrations.Migration):
    dependencies = [("booking", "0001_initial")]

    operations = [
        RunSQLFor(
            "postgresql",
            [
                "CREATE EXTENSION IF NOT EXISTS btree_gist",
                """
                ALTER TABLE booking_appointment ADD CONSTRAINT appointment_no_overlap
                EXCLUDE USING gist (
                    practitioner_id WITH =,
                    tstzrange(start, busy_until, '[)') WITH &&
                ) WHERE (status = 'booked')
                """,
            ],
            reverse_sql=[
                "ALTER TABLE booking_appointment DROP CONSTRAINT appointment_no_overlap",
            ],
        ),
        RunSQLFor(
            "sqlite",
            [
                f"""
                CREATE TRIGGER appointment_no_overlap_insert BEFORE INSERT ON booking_appointment
                FOR EACH ROW WHEN NEW.status = 'booked' AND {OVERLAP}
                BEGIN SELECT RAISE(ABORT, 'appointment_no_overlap'); END;
                """,
                f"""
                CREATE TRIGGER appointment_no_overlap_update BEFORE UPDATE ON booking_appointment
                FOR EACH ROW WHEN NEW.status = 'booked' AND {OVERLAP}
                BEGIN SELECT RAISE(ABORT, 'appointment_no_overlap'); END;
                """,
            ],
            reverse_sql=[
                "DROP TRIGGER IF EXISTS appointment_no_overlap_insert",
                "DROP TRIGGER IF EXISTS appointment_no_overlap_update",
            ],
        ),
    ]
