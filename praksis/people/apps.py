from django.apps import AppConfig


class PeopleConfig(AppConfig):
    name = "praksis.people"
    label = "people"
