"""Calendar feeds: the staff page that makes, lists and revokes them, and the public
feed itself (``/feeds/<token>.ics``)."""

from __future__ import annotations

from django.core.exceptions import PermissionDenied
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from praksis.booking import feeds
from praksis.clinics.auth import staff_view
from praksis.core.errors import ValidationFailed


def _page(request, *, status: int = 200, **context):
    actor = request.actor
    practitioners = feeds.feed_practitioners(actor=actor)
    if not practitioners and not feeds.may_manage_feeds(actor):
        raise PermissionDenied("calendar feeds")
    return render(
        request,
        "booking/calendar_feeds.html",
        {
            "practitioners": practitioners,
            "feeds": feeds.feeds_list(actor=actor),
            "new_url": "",
            "errors": {},
            "values": {},
            **context,
        },
        status=status,
    )


@require_http_methods(["GET", "POST"])
@staff_view("person.read")
def feeds_page(request):
    """A practitioner's own feeds (the owner: everyone's); a POST makes a new one and
    shows its URL this once."""
    if request.method == "GET":
        return _page(request)
    values = {
        "practitioner": request.POST.get("practitioner", ""),
        "show_names": request.POST.get("show_names") == "1",
    }
    try:
        _feed, url = feeds.feed_create(
            actor=request.actor,
            practitioner_id=values["practitioner"],
            show_names=values["show_names"],
        )
    except ValidationFailed as exc:
        return _page(request, status=422, errors=exc.errors, values=values)
    return _page(request, new_url=url)


@require_POST
@staff_view("person.read")
def feed_revoke(request, feed_id: int):
    feeds.feed_revoke(actor=request.actor, feed_id=feed_id)
    return redirect("staff:calendar-feeds")


@never_cache
@require_GET
def feed_ics(request, token: str):
    """The feed: text/calendar; 404 for an unknown or revoked token."""
    response = HttpResponse(
        feeds.feed_ics(token=token), content_type="text/calendar; charset=utf-8"
    )
    response["Content-Disposition"] = 'inline; filename="calendar.ics"'
    response["X-Robots-Tag"] = "noindex, nofollow"
    response["Referrer-Policy"] = "no-referrer"
    return response
