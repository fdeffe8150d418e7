from django.core.management.base import BaseCommand, CommandError

from praksis.site.demo import seed_demo


class Command(BaseCommand):
    help = "Create the four demo clinics with staff and fictional people (idempotent)."

    def add_arguments(self, parser):
        parser.add_argument("--persons", type=int, default=300, help="people per clinic")

    def handle(self, *args, persons, **options):
        try:
            clinics = seed_demo(persons_per_clinic=persons, stdout=self.stdout)
        except RuntimeError as exc:
            raise CommandError(str(exc)) from exc
        self.stdout.write(f"demo clinics ready: {', '.join(c.slug for c in clinics)}")
