"""Staff pages for bookings and booking requests (under /staff/)."""

from django.urls import path

from praksis.booking import feed_views, resource_views, series_views, setup_views
from praksis.booking import views as booking_views
from praksis.booking import waitlist_views as booking_waitlist

urlpatterns = [
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
        "appointments/<int:appointment_id>/arrived/",
        booking_views.appointment_arrive,
        name="appointment-arrive",
    ),
    path(
        "appointments/<int:appointment_id>/completed/",
        booking_views.appointment_complete,
        name="appointment-complete",
    ),
    path(
        "appointments/<int:appointment_id>/no-show/",
        booking_views.appointment_no_show,
        name="appointment-no-show",
    ),
    path(
        "appointments/<int:appointment_id>/identity/",
        booking_views.appointment_identity,
        name="appointment-identity",
    ),
    # Recurring bookings: a series seen, moved or cancelled from one of its bookings.
    path(
        "appointments/<int:appointment_id>/series/",
        series_views.series_page,
        name="appointment-series",
    ),
    path(
        "appointments/<int:appointment_id>/series/move/",
        series_views.series_move,
        name="appointment-series-move",
    ),
    path(
        "appointments/<int:appointment_id>/series/cancel/",
        series_views.series_cancel,
        name="appointment-series-cancel",
    ),
    # Practitioners' calendar feeds (secret iCalendar URLs).
    path("calendar-feeds/", feed_views.feeds_page, name="calendar-feeds"),
    path(
        "calendar-feeds/<int:feed_id>/revoke/",
        feed_views.feed_revoke,
        name="calendar-feed-revoke",
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
    path("waitlist/", booking_waitlist.waitlist_page, name="waitlist"),
    path("waitlist/new/", booking_waitlist.waitlist_new, name="waitlist-new"),
    path(
        "waitlist/<int:waitlist_entry_id>/remove/",
        booking_waitlist.waitlist_remove,
        name="waitlist-remove",
    ),
    # Clinic set-up (owner): services, staff hours and absences, closing days.
    path("services/", setup_views.services_page, name="services"),
    path("services/new/", setup_views.service_new, name="service-new"),
    path("services/<int:service_id>/", setup_views.service_edit, name="service"),
    path("services/<int:service_id>/intake/", setup_views.service_intake, name="service-intake"),
    path(
        "services/<int:service_id>/deactivate/",
        setup_views.service_deactivate,
        name="service-deactivate",
    ),
    path("resources/", resource_views.resources_page, name="resources"),
    path("resources/<int:resource_id>/", resource_views.resource_edit, name="resource"),
    path(
        "resources/<int:resource_id>/deactivate/",
        resource_views.resource_deactivate,
        name="resource-deactivate",
    ),
    path("staff/<int:membership_id>/hours/", setup_views.hours_page, name="staff-hours"),
    path(
        "staff/<int:membership_id>/absences/",
        setup_views.absence_new,
        name="staff-absence-new",
    ),
    path("absences/<int:absence_id>/delete/", setup_views.absence_delete, name="absence-delete"),
    path("closing-days/", setup_views.closing_days_page, name="closing-days"),
    path(
        "closing-days/holidays/",
        setup_views.closing_days_holidays,
        name="closing-days-holidays",
    ),
    path(
        "closing-days/<int:closing_day_id>/delete/",
        setup_views.closing_day_delete,
        name="closing-day-delete",
    ),
]
