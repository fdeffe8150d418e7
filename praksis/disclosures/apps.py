from django.apps import AppConfig


class DisclosuresConfig(AppConfig):
    name = "praksis.disclosures"
    label = "disclosures"
