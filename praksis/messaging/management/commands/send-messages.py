import signal
import threading

from django.core.management.base import BaseCommand
from django.db import close_old_connections

from praksis.messaging.services import DeliveryStats, deliver_due


class Command(BaseCommand):
    help = (
        "Send the e-mail and SMS that are due from the outbox. Idempotent, and safe to run "
        "on several machines at once."
    )

    def add_arguments(self, parser):
        mode = parser.add_mutually_exclusive_group()
        mode.add_argument("--once", action="store_true", help="send what is due, then exit")
        mode.add_argument("--loop", action="store_true", help="keep sending until stopped")
        parser.add_argument("--interval", type=float, default=10.0, help="seconds between runs")
        parser.add_argument("--batch-size", type=int, default=50)

    def handle(self, *args, loop, interval, batch_size, **options):
        if not loop:
            self._report(self._drain(batch_size))
            return
        stop = threading.Event()
        for signum in (signal.SIGTERM, signal.SIGINT):
            signal.signal(signum, lambda *_: stop.set())
        while not stop.is_set():
            close_old_connections()
            stats = self._drain(batch_size, stop=stop)
            if stats.attempted:
                self._report(stats)
            stop.wait(interval)

    def _drain(self, batch_size: int, stop: threading.Event | None = None) -> DeliveryStats:
        """Batches until one comes back short: everything due now has had its attempt."""
        total = DeliveryStats()
        while stop is None or not stop.is_set():
            stats = deliver_due(batch_size=batch_size)
            total.add(stats)
            if stats.attempted < batch_size:
                break
        return total

    def _report(self, stats: DeliveryStats) -> None:
        self.stdout.write(
            f"sent {stats.sent}, failed {stats.failed} "
            f"(retrying {stats.retried}, given up {stats.dead})"
        )
