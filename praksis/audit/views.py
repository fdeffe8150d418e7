"""Staff pages for the owner's review of the access log (REQ-22). Thin: parse, call, render."""

from __future__ import annotations

from datetime import timedelta

from django.db import transaction
from django.shortcuts import redirect, render
from django.utils import timezone
from django.views.decorators.http import require_GET, require_POST

from praksis.audit import selectors, services
from praksis.audit.models import ReviewMethod, ReviewOutcome
from praksis.audit.services import access_batch
from praksis.clinics.auth import staff_view
from praksis.core.errors import ValidationFailed

FORM_FIELDS = ("from", "to", "method", "size", "seed", "upto", "follows_up")
RECORD_FIELDS = ("outcome", "note", "follow_up")


def _default_period(clinic) -> tuple[str, str]:
    """The previous calendar month: the usual monthly check."""
    first_of_month = timezone.now().astimezone(clinic.zone).date().replace(day=1)
    last = first_of_month - timedelta(days=1)
    return last.replace(day=1).isoformat(), last.isoformat()


def _review_page(request, params, *, values=None, errors=None, status=200):
    actor = request.actor
    start, end = _default_period(actor.clinic)
    query = {name: str(params.get(name, "")).strip()[:40] for name in FORM_FIELDS}
    query["from"] = query["from"] or start
    query["to"] = query["to"] or end
    context = {
        "query": query,
        "values": values or {},
        "errors": dict(errors or {}),
        "methods": ReviewMethod.choices,
        "outcomes": ReviewOutcome.choices,
        "sample_size": selectors.SAMPLE_SIZE,
        "max_sample_size": selectors.MAX_SAMPLE_SIZE,
        "mass_persons": selectors.MASS_LOOKUP_PERSONS,
        "mass_minutes": selectors.MASS_LOOKUP_WINDOW_MINUTES,
    }
    with transaction.atomic(), access_batch():  # one append for everything shown
        _fill(actor, query, context)
    if context["errors"]:
        status = 422
    return render(request, "audit/review.html", context, status=status)


def _fill(actor, query, context) -> None:
    method = query["method"]
    if method:
        try:
            period = selectors.review_period(date_from=query["from"], date_to=query["to"])
            if method == ReviewMethod.ANOMALIES:
                context["anomalies"] = selectors.anomalies_find(
                    actor=actor, period=period, upto=query["upto"] or None
                )
            else:
                context["sample"] = selectors.review_sample(
                    actor=actor,
                    period=period,
                    method=method,
                    size=query["size"] or selectors.SAMPLE_SIZE,
                    seed=selectors.clean_seed(query["seed"]),
                    upto=query["upto"] or None,
                )
        except ValidationFailed as exc:
            context["errors"].update(exc.errors)
    context["reviews"] = selectors.review_list(actor=actor)
    context["open_follow_ups"] = [
        r for r in context["reviews"] if r.outcome != ReviewOutcome.NO_REMARKS and not r.followed_up
    ]


@require_GET
@staff_view("access_log.read")
def review_home(request):
    """Pick a period and a method; see the sample or the flagged accesses; past reviews."""
    return _review_page(request, request.GET)


@require_POST
@staff_view("access_log.read")
def review_record(request):
    """Record the outcome of the review the screen showed (its rows are derived again)."""
    post = request.POST
    try:
        review = services.access_review_record(
            actor=request.actor,
            date_from=post.get("from", ""),
            date_to=post.get("to", ""),
            method=post.get("method", ""),
            size=post.get("size") or None,
            seed=post.get("seed") or None,
            upto=post.get("upto") or None,
            outcome=post.get("outcome", ""),
            note=post.get("note", ""),
            follow_up=post.get("follow_up", ""),
            follows_up_id=post.get("follows_up") or None,
        )
    except ValidationFailed as exc:
        values = {name: post.get(name, "") for name in RECORD_FIELDS}
        return _review_page(request, post, values=values, errors=exc.errors, status=422)
    return redirect("staff:access-review-detail", review_id=review.pk)


@require_GET
@staff_view("access_log.read")
def review_detail(request, review_id: int):
    """A recorded review: who, when, what was looked at, the outcome; the rows again."""
    review, rows = selectors.review_get(actor=request.actor, review_id=review_id)
    return render(request, "audit/review_detail.html", {"review": review, "rows": rows})
