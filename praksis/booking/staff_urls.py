"""Staff pages for bookings and booking requests (under /staff/)."""

from django.urls import path

from praksis.booking import views as booking_views

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
        "appointments/<int:appointment_id>/no-show/",
        booking_views.appointment_no_show,
        name="appointment-no-show",
    ),
    path(
        "appointments/<int:appointment_id>/identity/",
        booking_views.appointment_identity,
        name="appointment-identity",
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
]
