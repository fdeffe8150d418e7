from django.apps import AppConfig


class PrivacyConfig(AppConfig):
    name = "praksis.privacy"
    label = "privacy"

    def ready(self):
        from praksis.core.personal_data import use_engine
        from praksis.privacy.engine import ENGINE

        use_engine(ENGINE)
