"""Staff URLs of the disclosures app (under /staff/)."""

from django.urls import path

from praksis.disclosures import views

urlpatterns = [
    path("disclosures/", views.disclosure_log, name="disclosures"),
    path(
        "persons/<int:person_id>/disclosures/",
        views.person_disclosures,
        name="person-disclosures",
    ),
    path(
        "disclosures/<int:disclosure_id>/letter.pdf",
        views.disclosure_letter,
        name="disclosure-letter",
    ),
]
