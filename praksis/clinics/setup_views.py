"""Staff pages of the clinic set-up: the one-time set-up link and the staff (owner only;
the page of the clinic's details and booking policy is ``praksis.site.clinic_page``).
Thin: read the form, call a service, show the page again with the errors and what was
typed, or redirect."""

from __future__ import annotations

from django.conf import settings
from django.contrib.auth import login, logout
from django.contrib.auth.password_validation import password_validators_help_texts
from django.http import Http404
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import translation
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_http_methods, require_POST

from praksis.clinics import selectors, setup
from praksis.clinics.auth import SESSION_CLINIC, requires_two_factor, staff_view
from praksis.clinics.models import Clinic, Role
from praksis.clinics.services import staff_deactivate
from praksis.clinics.views import OTP_ATTEMPTS, PENDING_NEXT, PENDING_USER
from praksis.core.errors import Conflict, ValidationFailed
from praksis.core.middleware import client_ip

# --- The one-time set-up link ----------------------------------------------------------


def _setup_language(request, clinic: Clinic) -> str:
    """The visitor's chosen language (the language cookie), else the clinic's."""
    chosen = request.COOKIES.get(settings.LANGUAGE_COOKIE_NAME)
    return chosen if chosen in dict(settings.LANGUAGES) else clinic.language


def _setup_page(request, link, values: dict, errors: dict, status: int = 200):
    context = {
        "link_user": link.user,
        "link_clinic": link.clinic,
        "values": values,
        "errors": errors,
        "password_help": password_validators_help_texts(),
        "needs_code": requires_two_factor(link.user),
    }
    return render(request, "clinics/setup.html", context, status=status)


def _invalid_link(request):
    return render(request, "clinics/setup_invalid.html", status=404)


def _signed_in(request, done: setup.SetupDone):
    """After the password: the authenticator where the role needs one (the sign-in's own
    enrolment), else signed in on the staff home."""
    if request.user.is_authenticated:
        logout(request)
    if requires_two_factor(done.user):
        request.session.cycle_key()
        request.session[PENDING_USER] = done.user.pk
        request.session[PENDING_NEXT] = "/staff/"
        request.session[OTP_ATTEMPTS] = 0
        request.session[SESSION_CLINIC] = done.clinic.pk
        return redirect("staff:otp")
    login(request, done.user, backend="django.contrib.auth.backends.ModelBackend")
    request.session[SESSION_CLINIC] = done.clinic.pk
    return redirect("staff:home")


@never_cache
@require_http_methods(["GET", "POST"])
def setup_link(request, token: str):
    """Choose a name and password through a one-time link (a new clinic's owner, an
    invited member of staff). A used, expired or unknown link: a page saying so, 404."""
    link = setup.setup_link_find(token)
    if link is None:
        return _invalid_link(request)
    with translation.override(_setup_language(request, link.clinic)):
        if request.method == "GET":
            return _setup_page(request, link, {"name": link.user.full_name}, {})
        values = {"name": request.POST.get("name", "")}
        try:
            done = setup.setup_complete(
                token=token,
                name=values["name"],
                password=request.POST.get("password", ""),
                password_confirm=request.POST.get("password_confirm", ""),
                request_id=getattr(request, "request_id", ""),
                ip=client_ip(request),
            )
        except Http404:
            return _invalid_link(request)
        except ValidationFailed as exc:
            return _setup_page(request, link, values, exc.errors, status=422)
    return _signed_in(request, done)


# --- Staff ------------------------------------------------------------------------------

INVITE_FIELDS = ("email", "name", "role", "title", "licence")


def _hours_link(membership) -> str:
    """The member's weekly hours (booking set-up): any member who sees clients, the owner
    of a one-person clinic included."""
    return reverse("staff:staff-hours", args=[membership.pk])


def _staff_page(request, status: int = 200, **context):
    memberships = selectors.staff_list(request.actor)
    for m in memberships:
        seeing_clients = m.role in (Role.PRACTITIONER, Role.OWNER) and m.is_active
        m.hours_link = _hours_link(m) if seeing_clients else ""
        m.invited = not m.user.has_usable_password()
    context = {
        "staff_members": memberships,  # ("memberships" is the header's list of clinics)
        "roles": Role.choices,
        "values": {"role": Role.PRACTITIONER},
        "errors": {},
        **context,
    }
    return render(request, "clinics/staff.html", context, status=status)


@require_http_methods(["GET", "POST"])
@staff_view("staff.manage")
def staff(request):
    if request.method == "GET":
        return _staff_page(request, done=request.GET.get("done", ""))
    values = {field: request.POST.get(field, "") for field in INVITE_FIELDS}
    try:
        setup.staff_invite(actor=request.actor, data=values)
    except ValidationFailed as exc:
        return _staff_page(request, status=422, values=values, errors=exc.errors)
    except Conflict as exc:
        return _staff_page(request, status=409, values=values, conflict=exc.message)
    return redirect(reverse("staff:staff") + "?done=invited")


EDIT_FIELDS = ("name", "role", "title", "licence")


def _member_page(request, membership, values: dict, status: int = 200, **context):
    context = {
        "member": membership,
        "values": values,
        "errors": {},
        "roles": Role.choices,
        "is_self": membership.user_id == request.actor.user_id,
        **context,
    }
    return render(request, "clinics/staff_member.html", context, status=status)


@require_http_methods(["GET", "POST"])
@staff_view("staff.manage")
def staff_member(request, membership_id: int):
    membership = selectors.staff_get(request.actor, membership_id)
    if request.method == "GET":
        user = membership.user
        values = {
            "name": user.full_name,
            "role": membership.role,
            "title": user.title,
            "licence": user.hpr_number,
        }
        return _member_page(request, membership, values)
    values = {field: request.POST.get(field, "") for field in EDIT_FIELDS}
    try:
        setup.staff_update(actor=request.actor, membership_id=membership.pk, changes=values)
    except ValidationFailed as exc:
        return _member_page(request, membership, values, status=422, errors=exc.errors)
    except Conflict as exc:
        return _member_page(request, membership, values, status=409, conflict=exc.message)
    return redirect(reverse("staff:staff") + "?done=saved")


@require_POST
@staff_view("staff.manage")
def staff_member_deactivate(request, membership_id: int):
    try:
        staff_deactivate(actor=request.actor, membership_id=membership_id)
    except Conflict as exc:
        return _staff_page(request, status=409, conflict=exc.message)
    return redirect(reverse("staff:staff") + "?done=deactivated")
