"""Log lanes: a clinic's access log becomes a few chains side by side, one head each.

The old one-per-clinic head becomes lane 0 of its clinic (same seq, hash and seal: the
rows written so far stay valid as they are). Reviews get ``upto``, how far each lane
reached when the sample was drawn.
"""

import django.db.models.deletion
import django.utils.timezone
from django.db import migrations, models


def heads_to_lanes(apps, schema_editor):
    Old = apps.get_model("audit", "OldChainHead")
    New = apps.get_model("audit", "ChainHead")
    New.objects.bulk_create(
        New(
            clinic_id=old.clinic_id,
            lane=0,
            seq=old.seq,
            hash=old.hash,
            seal=old.seal,
            updated_at=old.updated_at,
        )
        for old in Old.objects.all()
    )


def lanes_to_heads(apps, schema_editor):
    Old = apps.get_model("audit", "OldChainHead")
    New = apps.get_model("audit", "ChainHead")
    Old.objects.bulk_create(
        Old(clinic_id=h.clinic_id, seq=h.seq, hash=h.hash, seal=h.seal, updated_at=h.updated_at)
        for h in New.objects.filter(lane=0)
    )


class Migration(migrations.Migration):
    dependencies = [
        ("audit", "0005_access_review_append_only"),
        ("clinics", "0001_initial"),
    ]

    operations = [
        migrations.RenameModel("ChainHead", "OldChainHead"),
        migrations.CreateModel(
            name="ChainHead",
            fields=[
                (
                    "id",
                    models.BigAutoField(
                        auto_created=True, primary_key=True, serialize=False, verbose_name="ID"
                    ),
                ),
                ("lane", models.PositiveSmallIntegerField(default=0)),
                ("seq", models.BigIntegerField(default=0)),
                ("hash", models.CharField(default="0" * 64, max_length=64)),
                ("seal", models.CharField(blank=True, max_length=64)),
                ("updated_at", models.DateTimeField(default=django.utils.timezone.now)),
                (
                    "clinic",
                    models.ForeignKey(
                        on_delete=django.db.models.deletion.PROTECT,
                        related_name="+",
                        to="clinics.clinic",
                    ),
                ),
            ],
            options={
                "constraints": [
                    models.UniqueConstraint(
                        fields=("clinic", "lane"), name="chainhead_clinic_lane"
                    )
                ],
            },
        ),
        migrations.RunPython(heads_to_lanes, lanes_to_heads),
        migrations.DeleteModel("OldChainHead"),
        migrations.AddField(
            model_name="accessreview",
            name="upto",
            field=models.CharField(blank=True, max_length=400, null=True),
        ),
    ]
