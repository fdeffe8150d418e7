"""URL map: the API, the staff pages (one module per app, in the "staff" namespace), the
health check, and each clinic's public pages (slugs of the other prefixes are reserved)."""

from django.urls import include, path, re_path

from praksis.api import api, not_found
from praksis.booking import feed_views as booking_feeds
from praksis.booking import public_views as booking_public
from praksis.booking import sms_views as booking_sms
from praksis.booking import waitlist_views as booking_waitlist
from praksis.core import views as core_views
from praksis.privacy import views as privacy_views
from praksis.site import account, clinic_page, person_page
from praksis.site import views as site_views
from praksis.today import today_page

staff_patterns = [
    path("", today_page, name="home"),
    path("", include("praksis.clinics.staff_urls")),
    path("clinic/", clinic_page.clinic_details, name="clinic"),  # details + booking policy
    path("", include("praksis.people.staff_urls")),
    path("persons/<int:person_id>/", person_page.person_detail, name="person"),
    path("", include("praksis.journal.staff_urls")),
    path("", include("praksis.booking.staff_urls")),
    path("", include("praksis.privacy.staff_urls")),
    path("", include("praksis.processing.staff_urls")),
    path("", include("praksis.disclosures.staff_urls")),
    path("", include("praksis.breaches.staff_urls")),
    path("", include("praksis.audit.staff_urls")),
    path("messages/", include("praksis.messaging.urls")),
    path("recall/", include("praksis.recall.urls")),
    path("sales/", include("praksis.sales.urls")),
]

# Branded error pages in the user's language (JSON under /api/); the 500 page reads nothing
# from the database.
handler400 = core_views.bad_request
handler403 = core_views.forbidden
handler404 = core_views.not_found
handler500 = core_views.server_error

urlpatterns = [
    path("", site_views.root),
    path("healthz", core_views.healthz, name="healthz"),
    path("api/v1/", api.urls),
    re_path(r"^api/", not_found),
    path("staff/", include((staff_patterns, "staff"))),
    path("i18n/", include("django.conf.urls.i18n")),
    # The SMS provider's signed webhook (replies to reminders) and practitioners'
    # calendar feeds at secret addresses; neither belongs to a clinic's slug.
    path("sms/inbound", booking_sms.inbound, name="sms-inbound"),
    path("feeds/<str:token>.ics", booking_feeds.feed_ics, name="calendar-feed"),
    # Public pages of each clinic.
    path("<slug:clinic>/", booking_public.booking_home, name="booking"),
    path("<slug:clinic>/privacy", privacy_views.notice, name="privacy-notice"),
    path("<slug:clinic>/cookies", privacy_views.cookie_settings, name="cookie-settings"),
    path("<slug:clinic>/privacy/request", privacy_views.public_request, name="privacy-request"),
    path(
        "<slug:clinic>/privacy/verify/<str:token>/",
        privacy_views.public_verify,
        name="privacy-verify",
    ),
    path(
        "<slug:clinic>/privacy/answer/<str:token>/",
        privacy_views.public_answer,
        name="privacy-answer",
    ),
    path(
        "<slug:clinic>/privacy/answer/<str:token>/report.pdf",
        privacy_views.public_answer_report,
        name="privacy-answer-report",
    ),
    path(
        "<slug:clinic>/privacy/answer/<str:token>/export.json",
        privacy_views.public_answer_json,
        name="privacy-answer-json",
    ),
    path(
        "<slug:clinic>/privacy/answer/<str:token>/export.csv",
        privacy_views.public_answer_csv,
        name="privacy-answer-csv",
    ),
    path("<slug:clinic>/optout/<str:token>/", privacy_views.public_optout, name="optout"),
    path("<slug:clinic>/consents/", privacy_views.public_consents, name="consents"),
    path(
        "<slug:clinic>/consents/<str:token>/",
        privacy_views.public_consents_manage,
        name="consents-manage",
    ),
    path("eid/callback/", account.eid_callback, name="eid-callback"),
    path("<slug:clinic>/account/", account.account_home, name="account"),
    path("<slug:clinic>/account/eid/", account.account_eid, name="account-eid"),
    path("<slug:clinic>/account/log/", account.account_log, name="account-log"),
    path(
        "<slug:clinic>/account/intake/<int:appointment_id>/",
        account.account_intake,
        name="account-intake",
    ),
    path("<slug:clinic>/account/journal.pdf", account.account_journal, name="account-journal"),
    path("<slug:clinic>/account/report.pdf", account.account_report, name="account-report"),
    path("<slug:clinic>/account/code/", account.account_code, name="account-code"),
    path("<slug:clinic>/account/who/", account.account_who, name="account-who"),
    path("<slug:clinic>/account/sign-out/", account.account_sign_out, name="account-sign-out"),
    path("<slug:clinic>/account/requests/", account.account_request, name="account-request"),
    path(
        "<slug:clinic>/account/waitlist/<int:entry_id>/leave/",
        account.account_waitlist_leave,
        name="account-waitlist-leave",
    ),
    path("<slug:clinic>/book/", booking_public.booking_details, name="booking-details"),
    path("<slug:clinic>/request/", booking_public.booking_request, name="booking-request"),
    path("<slug:clinic>/waitlist/", booking_waitlist.waitlist_join, name="waitlist-join"),
    path(
        "<slug:clinic>/waitlist/leave/<str:token>/",
        booking_waitlist.waitlist_leave,
        name="waitlist-leave",
    ),
    path(
        "<slug:clinic>/waitlist/offer/<str:token>/",
        booking_waitlist.waitlist_offer,
        name="waitlist-offer",
    ),
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
        "<slug:clinic>/booking/<str:token>/calendar.ics",
        booking_public.booking_ics,
        name="booking-ics",
    ),
]
