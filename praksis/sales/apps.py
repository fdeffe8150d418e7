from django.apps import AppConfig


class SalesConfig(AppConfig):
    name = "praksis.sales"
    label = "sales"
