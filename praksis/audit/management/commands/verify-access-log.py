from django.core.management.base import BaseCommand, CommandError

from praksis.audit.checkpoints import checkpoint_problems, latest_checkpoints, vanished_clinics
from praksis.audit.models import AccessLogEntry
from praksis.audit.selectors import verify_clinic_chain
from praksis.clinics.models import Clinic
from praksis.core import evidence


class Command(BaseCommand):
    help = (
        "Check every clinic's access-log hash chain, and that it extends every checkpoint "
        "in the evidence store; exit non-zero on any break."
    )

    def add_arguments(self, parser):
        parser.add_argument("--clinic", help="check only this clinic (slug)")

    def handle(self, *args, clinic, **options):
        clinics = Clinic.objects.order_by("pk")
        if clinic:
            clinics = clinics.filter(slug=clinic)
        problems: list = []
        latest = None
        if evidence.configured():
            try:
                latest = latest_checkpoints()
            except evidence.EvidenceError as exc:
                problems.append(str(exc))
        for each in clinics:
            problems.extend(verify_clinic_chain(each))
            if latest is not None:
                problems.extend(checkpoint_problems(each, latest))
        if latest is not None and not clinic:
            problems.extend(vanished_clinics(latest, set(clinics.values_list("pk", flat=True))))
        for problem in problems:
            self.stderr.write(str(problem))
        if problems:
            raise CommandError(f"access log verification failed: {len(problems)} problem(s)")
        rows = AccessLogEntry.objects.filter(clinic__in=clinics).count()
        checked = "" if latest is None else f", {len(latest)} checkpointed lane(s)"
        self.stdout.write(f"access log intact: {clinics.count()} clinic(s), {rows} row(s){checked}")
