"""Staff URLs of the breaches app (under /staff/)."""

urlpatterns: list = []
