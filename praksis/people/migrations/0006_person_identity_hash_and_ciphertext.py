"""Columns for the encrypted identity number and its keyed hash (filled by 0007)."""

from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [("people", "0005_restriction_and_recall_consent")]

    operations = [
        migrations.AddField(
            model_name="person",
            name="identity_ciphertext",
            field=models.BinaryField(blank=True, null=True),
        ),
        migrations.AddField(
            model_name="person",
            name="identity_hash",
            field=models.BinaryField(blank=True, null=True),
        ),
    ]
