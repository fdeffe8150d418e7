from django.core.management.base import BaseCommand

from praksis.booking.services import booking_ips_expire, booking_requests_expire


class Command(BaseCommand):
    help = (
        "Delete booking requests nobody converted before they expired and forget the IP "
        "addresses of online bookings whose security retention has ended (idempotent)."
    )

    def handle(self, *args, **options):
        requests = booking_requests_expire()
        ips = booking_ips_expire()
        self.stdout.write(f"expired requests deleted: {requests}; booking IPs forgotten: {ips}")
