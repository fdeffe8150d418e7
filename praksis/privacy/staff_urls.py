"""Staff URLs for privacy requests, restriction and consents (under /staff/)."""

from django.urls import path

from praksis.privacy import deadline_views, erasure_views, marketing_views, retention_views
from praksis.privacy import views as privacy_views
from praksis.privacy.request_views import unmatched_view

urlpatterns = [
    path("messages/marketing/", marketing_views.marketing_send, name="marketing"),
    path("applicants/", retention_views.applicants_view, name="applicants"),
    path("privacy-requests/", privacy_views.requests_dashboard, name="privacy-requests"),
    path("privacy-requests/new/", privacy_views.request_new, name="privacy-request-new"),
    path(
        "privacy-requests/unmatched/<int:unmatched_id>/",
        unmatched_view,
        name="privacy-unmatched",
    ),
    path("privacy-requests/deadline/", deadline_views.answer_deadline, name="privacy-deadline"),
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
        "privacy-requests/<int:privacy_request_id>/erasure/",
        erasure_views.erasure_view,
        name="privacy-request-erasure",
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
    path("retention/", retention_views.retention_page, name="retention"),
    path("retention/settings/", retention_views.retention_setting, name="retention-setting"),
    path("retention/holds/", retention_views.hold_new, name="legal-hold-new"),
    path(
        "retention/holds/<int:hold_id>/release/",
        retention_views.hold_release_view,
        name="legal-hold-release",
    ),
    path(
        "persons/<int:person_id>/consents/new/",
        privacy_views.consent_new_view,
        name="consent-new",
    ),
    path(
        "consents/<int:consent_id>/withdraw/",
        privacy_views.consent_withdraw_view,
        name="consent-withdraw",
    ),
]
