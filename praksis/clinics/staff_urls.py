"""Staff sign-in, sign-out, clinic switching and API tokens (under /staff/)."""

from django.urls import path

from praksis.clinics import views as clinic_views

urlpatterns = [
    path("", clinic_views.home, name="home"),
    path("login/", clinic_views.login_view, name="login"),
    path("login/otp/", clinic_views.otp_view, name="otp"),
    path("logout/", clinic_views.logout_view, name="logout"),
    path("clinic/<slug:slug>/", clinic_views.switch_clinic, name="switch-clinic"),
    path("tokens/", clinic_views.tokens, name="tokens"),
    path("tokens/<int:token_id>/revoke/", clinic_views.token_revoke_view, name="token-revoke"),
]
