"""Staff URLs of the disclosures app (under /staff/)."""

urlpatterns: list = []
