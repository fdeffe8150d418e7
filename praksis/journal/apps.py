from django.apps import AppConfig


class JournalConfig(AppConfig):
    name = "praksis.journal"
    label = "journal"
