from django.apps import AppConfig


class BreachesConfig(AppConfig):
    name = "praksis.breaches"
    label = "breaches"
