"""Give every message queued before 0002 its own uuid (its stable Message-ID)."""

import uuid

from django.db import migrations


def fill_uuids(apps, schema_editor):
    OutboxMessage = apps.get_model("messaging", "OutboxMessage")
    while True:
        batch = list(OutboxMessage.objects.filter(uuid__isnull=True).only("pk")[:1000])
        if not batch:
            return
        for message in batch:
            message.uuid = uuid.uuid4()
        OutboxMessage.objects.bulk_update(batch, ["uuid"])


class Migration(migrations.Migration):

    dependencies = [
        ("messaging", "0002_outbox_delivery_circuit"),
    ]

    operations = [
        migrations.RunPython(fill_uuids, migrations.RunPython.noop, elidable=True),
    ]
