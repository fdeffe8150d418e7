from django.apps import AppConfig


class PrivacyConfig(AppConfig):
    name = "praksis.privacy"
    label = "privacy"
