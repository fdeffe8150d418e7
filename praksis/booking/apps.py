from django.apps import AppConfig


class BookingConfig(AppConfig):
    name = "praksis.booking"
    label = "booking"
