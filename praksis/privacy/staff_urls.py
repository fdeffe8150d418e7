"""Staff URLs for privacy requests, restriction and consents (under /staff/)."""

from django.urls import path

from praksis.privacy import views as privacy_views

urlpatterns = [
    path("privacy-requests/", privacy_views.requests_dashboard, name="privacy-requests"),
    path("privacy-requests/new/", privacy_views.request_new, name="privacy-request-new"),
    path(
        "privacy-requests/<int:privacy_request_id>/report.pdf",
        privacy_views.request_report,
        name="privacy-request-report",
    ),
    path(
        "privacy-requests/<int:privacy_request_id>/export.json",
        privacy_views.request_export,
        name="privacy-request-export",
    ),
    path(
        "privacy-requests/<int:privacy_request_id>/export.csv",
        privacy_views.request_export_csv,
        name="privacy-request-export-csv",
    ),
    path(
        "privacy-requests/<int:privacy_request_id>/answer/",
        privacy_views.request_answer_view,
        name="privacy-request-answer",
    ),
    path(
        "privacy-requests/<int:privacy_request_id>/done/",
        privacy_views.request_done,
        name="privacy-request-done",
    ),
    path(
        "persons/<int:person_id>/restriction/",
        privacy_views.restriction_view,
        name="person-restriction",
    ),
    path(
        "takedowns/<int:takedown_id>/done/",
        privacy_views.takedown_done_view,
        name="takedown-done",
    ),
    path(
        "consents/<int:consent_id>/withdraw/",
        privacy_views.consent_withdraw_view,
        name="consent-withdraw",
    ),
]
