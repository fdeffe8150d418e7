from django.apps import AppConfig


class ClinicsConfig(AppConfig):
    name = "praksis.clinics"
    label = "clinics"
