from tests.oidc_provider import oidc_provider  # noqa: F401  (re-exported fixture)
