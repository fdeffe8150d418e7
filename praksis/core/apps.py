from django.apps import AppConfig


class CoreConfig(AppConfig):
    name = "praksis.core"
    label = "core"

    def ready(self):
        from praksis.core import (
            db,  # noqa: F401  (registers the SQLite trigger helper)
            sessions,  # noqa: F401  (stamps each sign-in)
        )
