from django.core.management.base import BaseCommand

from praksis.booking.services import booking_ips_expire, booking_requests_expire
from praksis.booking.waitlist import waitlist_expire


class Command(BaseCommand):
    help = (
        "Delete booking requests nobody converted before they expired, forget the IP "
        "addresses of online bookings whose security retention has ended, and end the "
        "waiting-list places and offers whose time has passed (idempotent)."
    )

    def handle(self, *args, **options):
        requests = booking_requests_expire()
        ips = booking_ips_expire()
        waiting = waitlist_expire()
        self.stdout.write(
            f"expired requests deleted: {requests}; booking IPs forgotten: {ips}; "
            f"waiting-list places ended: {waiting}"
        )
