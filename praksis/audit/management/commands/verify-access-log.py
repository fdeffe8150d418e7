from django.core.management.base import BaseCommand, CommandError

from praksis.audit.models import AccessLogEntry
from praksis.audit.selectors import verify_clinic_chain
from praksis.clinics.models import Clinic


class Command(BaseCommand):
    help = "Check every clinic's access-log hash chain; exit non-zero on any break."

    def add_arguments(self, parser):
        parser.add_argument("--clinic", help="check only this clinic (slug)")

    def handle(self, *args, clinic, **options):
        clinics = Clinic.objects.order_by("pk")
        if clinic:
            clinics = clinics.filter(slug=clinic)
        problems = []
        for each in clinics:
            problems.extend(verify_clinic_chain(each))
        for problem in problems:
            self.stderr.write(str(problem))
        if problems:
            raise CommandError(f"access log verification failed: {len(problems)} problem(s)")
        rows = AccessLogEntry.objects.filter(clinic__in=clinics).count()
        self.stdout.write(f"access log intact: {clinics.count()} clinic(s), {rows} row(s)")
