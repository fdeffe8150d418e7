"""Staff pages for recall: the call list, and recording a call from it. All roles."""

from __future__ import annotations

from datetime import date, timedelta

from django.http import Http404
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.http import urlencode
from django.views.decorators.http import require_GET, require_POST

from praksis.clinics.auth import staff_view
from praksis.core.errors import Conflict, ValidationFailed
from praksis.recall import selectors, services
from praksis.recall.models import Outcome

DEFAULT_DAYS = 30
MAX_RANGE_DAYS = 366


def _date(value: str | None) -> date | None:
    try:
        return date.fromisoformat((value or "").strip())
    except ValueError:
        return None


def _period(params, today: date) -> tuple[date, date]:
    date_from = _date(params.get("from")) or today
    date_to = _date(params.get("to")) or date_from + timedelta(days=DEFAULT_DAYS)
    if date_to < date_from:
        date_to = date_from
    return date_from, min(date_to, date_from + timedelta(days=MAX_RANGE_DAYS))


def _list_url(params, **extra) -> str:
    query = {k: params[k] for k in ("from", "to", "contacted") if params.get(k)}
    query.update({k: v for k, v in extra.items() if v})
    url = reverse("staff:recall")
    return f"{url}?{urlencode(query)}" if query else url


@require_GET
@staff_view("person.read")
def call_list(request):
    actor = request.actor
    today = selectors.local_today(actor.clinic)
    date_from, date_to = _period(request.GET, today)
    include_contacted = request.GET.get("contacted") == "1"
    rows = selectors.call_list(
        actor=actor, date_from=date_from, date_to=date_to, include_contacted=include_contacted
    )
    return render(
        request,
        "recall/call_list.html",
        {
            "rows": rows,
            "date_from": date_from,
            "date_to": date_to,
            "today": today,
            "include_contacted": include_contacted,
            "outcomes": Outcome.choices,
            "error": request.GET.get("error", "")[:300],
        },
    )


@require_POST
@staff_view("person.write")
def attempt_record(request, recall_id: int):
    actor = request.actor
    if not selectors.recall_exists(clinic=actor.clinic, recall_id=recall_id):
        raise Http404
    try:
        services.call_attempt_record(
            actor=actor,
            recall_id=recall_id,
            outcome=request.POST.get("outcome", ""),
            note=request.POST.get("note", ""),
            call_back_on=services.parse_date(request.POST.get("call_back_on"), "call_back_on"),
        )
    except (ValidationFailed, Conflict) as exc:
        return redirect(_list_url(request.POST, error=exc.message))
    return redirect(_list_url(request.POST) + f"#recall-{recall_id}")
