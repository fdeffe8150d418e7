"""Staff URLs of the processing app (under /staff/)."""

urlpatterns: list = []
