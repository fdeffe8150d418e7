from django.apps import AppConfig


class ClinicsConfig(AppConfig):
    name = "praksis.clinics"
    label = "clinics"

    def ready(self):
        from praksis.clinics import reauth  # noqa: F401 - signs the sign-in time
