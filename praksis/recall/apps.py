from django.apps import AppConfig


class RecallConfig(AppConfig):
    name = "praksis.recall"
    label = "recall"
