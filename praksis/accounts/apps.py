from django.apps import AppConfig


class AccountsConfig(AppConfig):
    name = "praksis.accounts"
    label = "accounts"

    def ready(self) -> None:
        from praksis.accounts import personal_data  # noqa: F401 - registers the contract
