"""Staff sign-in, sign-out, clinic switching, API tokens, and the clinic set-up: the
one-time set-up link and its staff (under /staff/; the page of the clinic's details and
booking policy, ``clinic/``, is the composition layer's)."""

from django.urls import path

from praksis.clinics import setup_views
from praksis.clinics import views as clinic_views
from praksis.clinics.language import language_choose

urlpatterns = [
    path("login/", clinic_views.login_view, name="login"),
    path("login/otp/", clinic_views.otp_view, name="otp"),
    path("logout/", clinic_views.logout_view, name="logout"),
    path("language/", language_choose, name="language"),
    path("clinic/<slug:slug>/", clinic_views.switch_clinic, name="switch-clinic"),
    path("tokens/", clinic_views.tokens, name="tokens"),
    path("tokens/<int:token_id>/revoke/", clinic_views.token_revoke_view, name="token-revoke"),
    path("setup/<str:token>/", setup_views.setup_link, name="setup"),
    path("staff/", setup_views.staff, name="staff"),
    path("staff/<int:membership_id>/", setup_views.staff_member, name="staff-member"),
    path(
        "staff/<int:membership_id>/deactivate/",
        setup_views.staff_member_deactivate,
        name="staff-deactivate",
    ),
]
