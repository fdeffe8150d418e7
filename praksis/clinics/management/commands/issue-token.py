from django.core.management.base import BaseCommand, CommandError

from praksis.clinics.models import Membership, TokenScope, User
from praksis.clinics.services import token_issue
from praksis.core.errors import ValidationFailed


class Command(BaseCommand):
    help = "Print a new API bearer token for a member of staff (and nothing else)."

    def add_arguments(self, parser):
        parser.add_argument("email")
        parser.add_argument("--clinic", help="clinic slug, when the user works in several")
        parser.add_argument("--name", default="cli", help="a label for the token")
        parser.add_argument(
            "--days", type=int, help="days until it expires (default PRAKSIS_API_TOKEN_DAYS)"
        )
        parser.add_argument(
            "--scope",
            choices=[TokenScope.SENSITIVE],
            default=TokenScope.PLAIN,
            help="sensitive: also erasure, answering privacy requests and the like",
        )

    def handle(self, *args, email, clinic, name, days, scope, **options):
        user = User.objects.filter(email=email.strip().lower(), is_active=True).first()
        if user is None:
            raise CommandError(f"no active staff user {email}")
        memberships = Membership.objects.select_related("clinic").filter(user=user, is_active=True)
        if clinic:
            memberships = memberships.filter(clinic__slug=clinic)
        found = list(memberships[:2])
        if not found:
            raise CommandError("the user has no active role in that clinic")
        if len(found) > 1:
            raise CommandError("the user works in several clinics: name one with --clinic")
        try:
            token = token_issue(
                user=user, clinic=found[0].clinic, name=name, scopes=scope, days=days
            )
        except ValidationFailed as exc:
            raise CommandError(exc.message) from exc
        self.stdout.write(token)
