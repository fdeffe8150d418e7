import signal
import threading

from django.core.management.base import BaseCommand
from django.db import close_old_connections
from django.utils import timezone

from praksis.messaging.services import DeliveryStats, deliver_due


class Command(BaseCommand):
    help = (
        "Send the e-mail and SMS that are due from the outbox. Idempotent, and safe to run "
        "on several machines at once. While a server is failing its messages stay queued "
        "and every worker leaves it alone until its backoff has passed."
    )

    def add_arguments(self, parser):
        mode = parser.add_mutually_exclusive_group()
        mode.add_argument("--once", action="store_true", help="send what is due, then exit")
        mode.add_argument("--loop", action="store_true", help="keep sending until stopped")
        parser.add_argument("--interval", type=float, default=10.0, help="seconds between runs")
        parser.add_argument("--batch-size", type=int, default=10)

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
            if stats.attempted or stats.deferred:
                self._report(stats)
            stop.wait(self._pause(stats, interval))

    def _drain(self, batch_size: int, stop: threading.Event | None = None) -> DeliveryStats:
        """Batches until one comes back short or a server fails: everything due now on a
        working channel has had its attempt."""
        total = DeliveryStats()
        while stop is None or not stop.is_set():
            stats = deliver_due(batch_size=batch_size, stop=stop)
            total.add(stats)
            if stats.claimed < batch_size or stats.deferred:
                break
        return total

    @staticmethod
    def _pause(stats: DeliveryStats, interval: float) -> float:
        """The interval; longer when nothing could be sent because every server with
        messages waiting is failing: then until the first of them may be tried again."""
        if stats.claimed or stats.waiting_until is None:
            return interval
        return max(interval, (stats.waiting_until - timezone.now()).total_seconds())

    def _report(self, stats: DeliveryStats) -> None:
        line = (
            f"sent {stats.sent}, failed {stats.failed} "
            f"(retrying {stats.retried}, given up {stats.dead})"
        )
        if stats.waiting_until:
            line += (
                f"; a server is failing, {stats.deferred} waiting, next try "
                f"{stats.waiting_until:%H:%M:%S} UTC"
            )
        self.stdout.write(line)
