"""Sealed cuts of the access log (REQ-10): the retention sweep removes a lane's oldest rows
and records where the lane now starts, sealed, so the chain stays verifiable. Cuts are
append-only like the log (the log's own triggers are unchanged: only the sanctioned purge
path deletes its rows)."""

import django.db.models.deletion
import django.utils.timezone
from django.db import migrations, models

from praksis.core.db import append_only_sql, drop_append_only_sql
from praksis.core.operations import RunSQLFor

TABLE = "audit_chaincut"


class Migration(migrations.Migration):
    dependencies = [
        ("audit", "0006_chain_lanes"),
        ("clinics", "0001_initial"),
    ]

    operations = [
        migrations.CreateModel(
            name="ChainCut",
            fields=[
                (
                    "id",
                    models.BigAutoField(
                        auto_created=True, primary_key=True, serialize=False, verbose_name="ID"
                    ),
                ),
                ("lane", models.PositiveSmallIntegerField(default=0)),
                ("from_seq", models.BigIntegerField()),
                ("seq", models.BigIntegerField()),
                ("hash", models.CharField(max_length=64)),
                ("count", models.BigIntegerField()),
                ("last_at", models.DateTimeField()),
                ("cut_at", models.DateTimeField(default=django.utils.timezone.now)),
                ("seal", models.CharField(max_length=64)),
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
                        fields=("clinic", "lane", "seq"), name="chaincut_lane_seq"
                    ),
                    models.UniqueConstraint(
                        fields=("clinic", "lane", "from_seq"), name="chaincut_lane_from"
                    ),
                    models.CheckConstraint(
                        condition=models.Q(("seq__gt", models.F("from_seq"))),
                        name="chaincut_order",
                    ),
                ],
            },
        ),
        *(
            RunSQLFor(
                vendor,
                append_only_sql(TABLE, vendor=vendor),
                reverse_sql=drop_append_only_sql(TABLE, vendor=vendor),
            )
            for vendor in ("postgresql", "sqlite")
        ),
    ]
