"""The plaintext identity number goes; one number per clinic is now kept by its hash."""

from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [("people", "0007_encrypt_identity_numbers")]

    operations = [
        migrations.RemoveConstraint(model_name="person", name="person_identity_unique"),
        migrations.RemoveField(model_name="person", name="identity_number"),
        migrations.AddConstraint(
            model_name="person",
            constraint=models.UniqueConstraint(
                condition=models.Q(("identity_hash__isnull", False)),
                fields=("clinic", "identity_hash"),
                name="person_identity_hash_unique",
            ),
        ),
    ]
