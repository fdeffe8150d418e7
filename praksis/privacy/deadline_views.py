"""The owner's page of the clinic's answer time for data-subject requests (REQ-24): empty
for the law's one calendar month, or a shorter promise in days (1-30)."""

from __future__ import annotations

from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.http import require_http_methods

from praksis.clinics.auth import staff_view
from praksis.core.errors import ValidationFailed
from praksis.privacy.deadline import ANSWER_DAYS_MAX, FIELD, answer_days_set


@require_http_methods(["GET", "POST"])
@staff_view("privacy.manage")
def answer_deadline(request):
    clinic = request.actor.clinic
    days = clinic.request_answer_days
    value = "" if days is None else str(days)
    errors: dict = {}
    if request.method == "POST":
        value = request.POST.get(FIELD, "")
        try:
            answer_days_set(actor=request.actor, days=value)
        except ValidationFailed as exc:
            errors = exc.errors  # the page keeps what was typed
        else:
            return redirect(reverse("staff:privacy-deadline") + "?saved=1")
    return render(
        request,
        "privacy/deadline.html",
        {
            "value": value[:20],
            "errors": errors.get(FIELD, []),
            "promised": days,
            "max_days": ANSWER_DAYS_MAX,
            "saved": request.GET.get("saved") == "1" and not errors,
        },
        status=422 if errors else 200,
    )
