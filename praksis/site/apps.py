from django.apps import AppConfig


class SiteConfig(AppConfig):
    """Composition: wires the apps' registered hooks once every app is loaded."""

    name = "praksis.site"
    label = "site"

    def ready(self) -> None:
        from praksis.site import wiring

        wiring.connect()
