from django.apps import AppConfig


class MessagingConfig(AppConfig):
    name = "praksis.messaging"
    label = "messaging"
