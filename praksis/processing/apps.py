from django.apps import AppConfig


class ProcessingConfig(AppConfig):
    name = "praksis.processing"
    label = "processing"
