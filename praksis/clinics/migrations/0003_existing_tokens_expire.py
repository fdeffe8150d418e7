"""Tokens issued before expiry existed get one: now + PRAKSIS_API_TOKEN_DAYS (90 by default).

Not "issued + 90 days": for a token older than that, the upgrade itself would cut off the
integration that uses it, and its holder would learn of it only from 401s. From now they
have the full period, see the date on the new tokens page, and can replace the token in
time; every token issued before the upgrade is still gone within that period.
"""

from datetime import timedelta

from django.conf import settings
from django.db import migrations
from django.utils import timezone


def give_expiry(apps, schema_editor):
    ApiToken = apps.get_model("clinics", "ApiToken")
    expires_at = timezone.now() + timedelta(days=settings.PRAKSIS_API_TOKEN_DAYS)
    ApiToken.objects.filter(expires_at=None).update(expires_at=expires_at)


class Migration(migrations.Migration):
    dependencies = [
        ("clinics", "0002_api_token_expiry_and_scope"),
    ]

    operations = [
        migrations.RunPython(give_expiry, migrations.RunPython.noop),
    ]
