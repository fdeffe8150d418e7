from django.urls import include, path

from praksis.api import api
from praksis.booking import public_views as booking_public
from praksis.booking import views as booking_views
from praksis.clinics import views as clinic_views
from praksis.core import views as core_views
from praksis.journal import views as journal_views
from praksis.people import views as people_views
from praksis.privacy import views as privacy_views

staff_patterns = [
    *[
        pattern
        for kind in ("persons", "animals")
        for pattern in (
            path(
                f"{kind}/<int:subject_id>/journal/",
                journal_views.journal_page,
                {"kind": kind},
                name=f"journal-{kind}",
            ),
            path(
                f"{kind}/<int:subject_id>/journal/new/",
                journal_views.entry_new,
                {"kind": kind},
                name=f"journal-new-{kind}",
            ),
            path(
                f"{kind}/<int:subject_id>/journal.pdf",
                journal_views.journal_print,
                {"kind": kind},
                name=f"journal-print-{kind}",
            ),
        )
    ],
    path(
        "persons/<int:subject_id>/client-card/",
        journal_views.client_card_save,
        name="client-card",
    ),
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
        "consents/<int:consent_id>/withdraw/",
        privacy_views.consent_withdraw_view,
        name="consent-withdraw",
    ),
    path("journal/<int:entry_id>/edit/", journal_views.entry_edit, name="journal-edit"),
    path("journal/<int:entry_id>/sign/", journal_views.entry_sign, name="journal-sign"),
    path("journal/<int:entry_id>/discard/", journal_views.entry_discard, name="journal-discard"),
    path("journal/<int:entry_id>/followups/", journal_views.followup_new, name="journal-followup"),
    path(
        "journal/<int:entry_id>/attachments/",
        journal_views.attachment_upload,
        name="journal-attach",
    ),
    path(
        "journal/attachments/<int:attachment_id>/",
        journal_views.attachment_download,
        name="journal-attachment",
    ),
    path("", clinic_views.home, name="home"),
    path("login/", clinic_views.login_view, name="login"),
    path("login/otp/", clinic_views.otp_view, name="otp"),
    path("logout/", clinic_views.logout_view, name="logout"),
    path("clinic/<slug:slug>/", clinic_views.switch_clinic, name="switch-clinic"),
    path("persons/", people_views.person_list, name="persons"),
    path("persons/new/", people_views.person_create, name="person-create"),
    path("persons/<int:person_id>/", people_views.person_detail, name="person"),
    path("persons/<int:person_id>/edit/", people_views.person_edit, name="person-edit"),
    path(
        "persons/<int:person_id>/access-log/",
        people_views.person_access_log_view,
        name="person-access-log",
    ),
    path("messages/", include("praksis.messaging.urls")),
    path("calendar/", booking_views.calendar, name="calendar"),
    path("appointments/new/", booking_views.appointment_new, name="appointment-new"),
    path(
        "appointments/<int:appointment_id>/",
        booking_views.appointment_detail,
        name="appointment",
    ),
    path(
        "appointments/<int:appointment_id>/cancel/",
        booking_views.appointment_cancel,
        name="appointment-cancel",
    ),
    path(
        "appointments/<int:appointment_id>/move/",
        booking_views.appointment_move,
        name="appointment-move",
    ),
    path(
        "appointments/<int:appointment_id>/no-show/",
        booking_views.appointment_no_show,
        name="appointment-no-show",
    ),
    path("requests/", booking_views.requests_list, name="requests"),
    path(
        "requests/<int:request_id>/register/",
        booking_views.request_register,
        name="request-register",
    ),
    path(
        "requests/<int:request_id>/decline/",
        booking_views.request_decline,
        name="request-decline",
    ),
    path("recall/", include("praksis.recall.urls")),
    path("sales/", include("praksis.sales.urls")),
]

urlpatterns = [
    path("", core_views.root),
    path("healthz", core_views.healthz, name="healthz"),
    path("api/v1/", api.urls),
    path("staff/", include((staff_patterns, "staff"))),
    path("i18n/", include("django.conf.urls.i18n")),
    # Public pages of each clinic (slugs of these prefixes are reserved).
    path("<slug:clinic>/", booking_public.booking_home, name="booking"),
    path("<slug:clinic>/privacy", privacy_views.notice, name="privacy-notice"),
    path("<slug:clinic>/cookies", privacy_views.cookie_settings, name="cookie-settings"),
    path("<slug:clinic>/privacy/request", privacy_views.public_request, name="privacy-request"),
    path(
        "<slug:clinic>/privacy/verify/<str:token>/",
        privacy_views.public_verify,
        name="privacy-verify",
    ),
    path("<slug:clinic>/book/", booking_public.booking_details, name="booking-details"),
    path("<slug:clinic>/request/", booking_public.booking_request, name="booking-request"),
    path(
        "<slug:clinic>/booking/<str:token>/", booking_public.booking_manage, name="booking-manage"
    ),
    path(
        "<slug:clinic>/booking/<str:token>/cancel/",
        booking_public.booking_cancel,
        name="booking-cancel",
    ),
    path(
        "<slug:clinic>/booking/<str:token>/move/", booking_public.booking_move, name="booking-move"
    ),
    path(
        "<slug:clinic>/booking/<str:token>/consents/<int:consent_id>/withdraw/",
        booking_public.booking_consent_withdraw,
        name="booking-consent-withdraw",
    ),
    path(
        "<slug:clinic>/booking/<str:token>/calendar.ics",
        booking_public.booking_ics,
        name="booking-ics",
    ),
]
