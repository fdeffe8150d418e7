from django.apps import AppConfig


class AuditConfig(AppConfig):
    name = "praksis.audit"
    label = "audit"
