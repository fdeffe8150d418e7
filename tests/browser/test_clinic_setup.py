"""On a 390 px phone, with two-factor sign-in on: the operator creates a clinic, its owner
opens the printed link, chooses a password, connects an authenticator, fills in the
clinic's details and invites an optician; the invitation reaches a real mail server and its
link signs the optician in. Every page on the way fits the phone."""

from __future__ import annotations

import io
import re
import time

import pytest
from django.core.management import call_command
from django.urls import get_resolver
from django.utils import translation
from django_otp.oath import totp
from django_otp.plugins.otp_totp.models import TOTPDevice

from praksis.clinics.models import Clinic, Membership
from praksis.messaging.services import deliver_due

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

PHONE = {"width": 390, "height": 844}


def t(text: str) -> str:
    with translation.override("sv"):  # the clinic's language
        return translation.gettext(text)


def _fits_the_phone(page) -> None:
    width = page.evaluate("document.documentElement.scrollWidth")
    assert width <= PHONE["width"], f"{page.url} is {width} px wide on a {PHONE['width']} px phone"


def _enrol_authenticator(page, email: str) -> None:
    """The sign-in's enrolment page: read the key as an authenticator app would."""
    page.wait_for_url(re.compile(r"/staff/login/otp/$"))
    _fits_the_phone(page)
    assert page.locator("#otp-secret").is_visible()
    device = TOTPDevice.objects.get(user__email=email)
    code = totp(device.bin_key, step=device.step, t0=device.t0, digits=device.digits)
    page.locator("#id_code").fill(f"{code:06d}")
    page.get_by_role("button", name=t("Verify"), exact=True).click()


def _choose_password(page, name: str, password: str) -> None:
    _fits_the_phone(page)
    page.locator("#id_name").fill(name)
    page.locator("#id_password").fill(password)
    page.locator("#id_password_confirm").fill(password)
    page.get_by_role("button", name=t("Save and continue"), exact=True).click()


def test_a_new_clinics_owner_sets_up_and_invites_an_optician_on_a_phone(
    page, live_server, smtp_server, settings
):
    get_resolver().url_patterns  # noqa: B018 - load the URL map before the first request
    settings.PRAKSIS_REQUIRE_2FA = True
    settings.PRAKSIS_BASE_URL = live_server.url
    settings.PRAKSIS_LINKS_FROM_REQUEST = False
    page.set_viewport_size(PHONE)

    started = time.monotonic()
    out = io.StringIO()
    call_command(
        "create-clinic",
        "--slug", "ny-optik", "--name", "Ny Optik", "--profile", "optician",
        "--country", "SE", "--owner", "anna@ny-optik.test",
        stdout=out,
    )  # fmt: skip
    link = out.getvalue().strip()
    assert link.startswith(f"{live_server.url}/staff/setup/")

    page.goto(link)
    _choose_password(page, "Anna Ek", "Blåbärssylt på fredag 42")
    _enrol_authenticator(page, "anna@ny-optik.test")
    page.wait_for_url(re.compile(r"/staff/"))
    signed_in = time.monotonic() - started

    page.goto("/staff/clinic/")
    _fits_the_phone(page)
    page.locator("#id_organisation_number").fill("5560360793")
    page.locator("#id_phone").fill("046-12 34 56")
    page.get_by_role("button", name=t("Save details"), exact=True).click()
    page.wait_for_url(re.compile(r"saved=details"))
    _fits_the_phone(page)
    clinic = Clinic.objects.get(slug="ny-optik")
    assert (clinic.organisation_number, clinic.contact_phone) == ("556036-0793", "+4646123456")

    page.goto("/staff/staff/")
    _fits_the_phone(page)
    page.locator("#id_email").fill("johan@ny-optik.test")
    page.locator("#id_name").fill("Johan Lind")
    page.locator("#id_role").select_option("practitioner")
    page.locator("#id_title").fill("Legitimerad optiker")
    page.locator("#id_licence").fill("123456")
    page.get_by_role("button", name=t("Send invitation"), exact=True).click()
    page.wait_for_url(re.compile(r"done=invited"))
    _fits_the_phone(page)
    assert page.locator("#staff-list").get_by_text("johan@ny-optik.test").is_visible()
    johan = Membership.objects.get(clinic__slug="ny-optik", user__email="johan@ny-optik.test")
    for width in (PHONE["width"], 1280):
        page.set_viewport_size({"width": width, "height": 844})
        for path in ("/staff/clinic/", "/staff/staff/", f"/staff/staff/{johan.pk}/"):
            page.goto(path)
            scroll = page.evaluate("document.documentElement.scrollWidth")
            assert scroll <= width, f"{path} is {scroll} px wide in a {width} px window"
    page.set_viewport_size(PHONE)

    assert deliver_due().sent == 1
    (mail,) = smtp_server.wait_for(1)
    invitation = re.search(r"http://\S+/staff/setup/\S+/", mail.get_content()).group(0)
    assert invitation.startswith(live_server.url)

    page.goto(invitation)  # on the owner's phone: the link signs the owner out first
    _choose_password(page, "Johan Lind", "Glasögon i ordning 7")
    _enrol_authenticator(page, "johan@ny-optik.test")
    page.wait_for_url(re.compile(r"/staff/"))
    member = Membership.objects.get(clinic=clinic, user__email="johan@ny-optik.test")
    assert member.role == "practitioner" and member.user.has_usable_password()
    assert page.request.get("/staff/staff/").status == 403  # an optician manages no staff
    print(f"create-clinic to the owner signed in with an authenticator: {signed_in:.1f} s")
