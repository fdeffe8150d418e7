from django.core.management.base import BaseCommand, CommandError, no_translations

from praksis.clinics.models import Profile
from praksis.clinics.setup import SETUP_LINK_HOURS, clinic_open
from praksis.clinics.validation import COUNTRIES, LANGUAGES
from praksis.core.errors import ValidationFailed

# The command's options, by the fields the service names in its errors.
OPTIONS = {
    "slug": "--slug",
    "name": "--name",
    "profile": "--profile",
    "country": "--country",
    "owner": "--owner",
    "language": "--language",
    "zone": "--zone",
}


class Command(BaseCommand):
    help = (
        "Create a clinic with its profile's defaults and its owner; print the owner's "
        f"one-time set-up link (valid {SETUP_LINK_HOURS} hours) and nothing else."
    )

    def add_arguments(self, parser):
        parser.add_argument("--slug", required=True, help="the clinic's address: /SLUG/")
        parser.add_argument("--name", required=True)
        parser.add_argument("--profile", required=True, help=" | ".join(Profile.values))
        parser.add_argument("--country", required=True, help=" | ".join(COUNTRIES))
        parser.add_argument("--owner", required=True, help="the owner's e-mail address")
        parser.add_argument(
            "--language", help=" | ".join(LANGUAGES) + " (default: sv in SE, nb in NO)"
        )
        parser.add_argument(
            "--zone", help="IANA time zone (default: Europe/Stockholm in SE, Europe/Oslo in NO)"
        )

    @no_translations
    def handle(self, *args, slug, name, profile, country, owner, language, zone, **options):
        try:
            _clinic, link = clinic_open(
                slug=slug,
                name=name,
                profile=profile,
                country=country,
                owner_email=owner,
                language=language,
                time_zone=zone,
            )
        except ValidationFailed as exc:
            lines = [
                f"{OPTIONS.get(field, field)}: {message}"
                for field, messages in exc.errors.items()
                for message in messages
            ]
            raise CommandError("the clinic was not created:\n  " + "\n  ".join(lines)) from exc
        self.stdout.write(link)
