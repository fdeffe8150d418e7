"""Staff pages of the clinic set-up for rooms and equipment (owner only): the list with a
form to add one, a form to rename one, change its kind or deactivate it.

Thin, as the services' pages: a refused form is shown again as typed with a message per
field (status 422); the checks are in ``resources``.
"""

from __future__ import annotations

from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.http import require_http_methods, require_POST

from praksis.booking import resources
from praksis.booking.models import Resource
from praksis.clinics.auth import staff_view
from praksis.core.errors import ValidationFailed


def _list_page(request, *, values=None, errors=None):
    return render(
        request,
        "booking/setup_resources.html",
        {
            "items": resources.resources_list(actor=request.actor),
            "kinds": Resource.Kind.choices,
            "values": values or {"kind": Resource.Kind.ROOM},
            "errors": errors or {},
            "saved": request.GET.get("saved") == "1",
        },
        status=422 if errors else 200,
    )


@staff_view(resources.SETUP)
@require_http_methods(["GET", "POST"])
def resources_page(request):
    if request.method == "GET":
        return _list_page(request)
    values = {key: request.POST.get(key, "") for key in ("name", "kind")}
    try:
        resources.resource_create(actor=request.actor, data=values)
    except ValidationFailed as exc:
        return _list_page(request, values=values, errors=exc.errors)
    return redirect(reverse("staff:resources") + "?saved=1")


@staff_view(resources.SETUP)
@require_http_methods(["GET", "POST"])
def resource_edit(request, resource_id: int):
    actor = request.actor
    resource = resources.resource_get(actor=actor, resource_id=resource_id)
    values = {"name": resource.name, "kind": resource.kind, "active": resource.active}
    errors: dict = {}
    if request.method == "POST":
        values = {
            "name": request.POST.get("name", ""),
            "kind": request.POST.get("kind", ""),
            "active": request.POST.get("active") == "1",
        }
        try:
            resources.resource_update(actor=actor, resource_id=resource_id, data=values)
        except ValidationFailed as exc:
            errors = exc.errors
        else:
            return redirect(reverse("staff:resources") + "?saved=1")
    return render(
        request,
        "booking/setup_resource_form.html",
        {
            "resource": resource,
            "services": resource.services.order_by("name", "pk"),
            "values": values,
            "errors": errors,
            "kinds": Resource.Kind.choices,
        },
        status=422 if errors else 200,
    )


@require_POST
@staff_view(resources.SETUP)
def resource_deactivate(request, resource_id: int):
    resources.resource_update(actor=request.actor, resource_id=resource_id, data={"active": False})
    return redirect(reverse("staff:resources") + "?saved=1")
