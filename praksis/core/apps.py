from django.apps import AppConfig
from django.utils.module_loading import autodiscover_modules


class CoreConfig(AppConfig):
    name = "praksis.core"
    label = "core"

    def ready(self):
        from praksis.core import (
            checks,  # noqa: F401  (the deployment checks)
            db,  # noqa: F401  (registers the SQLite trigger helper)
            sessions,  # noqa: F401  (stamps each sign-in)
        )

        # Each app's personal-data contract registers itself (praksis.core.personal_data).
        autodiscover_modules("personal_data")
