"""Staff page for an erasure request: the plan, the confirm button, then the answer.

Owner only (``privacy.manage``). GET shows what erasing the person would do per record
type (nothing changes); POST carries it out and shows the reasoned answer the requester
reads (REQ-27, REQ-24).
"""

from __future__ import annotations

from django.shortcuts import redirect, render
from django.views.decorators.http import require_http_methods

from praksis.clinics.auth import staff_view
from praksis.clinics.reauth import recent_auth
from praksis.core.errors import Conflict
from praksis.privacy.erasure import (
    blocker_text,
    erasure_plan_for_request,
    erasure_request_execute,
)


def _page(request, privacy_request_id: int, *, error: str = "", status: int = 200):
    try:
        dsr, plan = erasure_plan_for_request(actor=request.actor, request_id=privacy_request_id)
    except Conflict as exc:
        return render(request, "privacy/erasure.html", {"error": exc.message}, status=409)
    return render(
        request,
        "privacy/erasure.html",
        {
            "dsr": dsr,
            "plan": plan,
            "blockers": [blocker_text(code) for code in plan.blockers],
            "error": error,
        },
        status=status,
    )


@require_http_methods(["GET", "POST"])
@staff_view("privacy.manage")
@recent_auth
def erasure_view(request, privacy_request_id: int):
    if request.method == "POST":
        try:
            erasure_request_execute(actor=request.actor, request_id=privacy_request_id)
        except Conflict as exc:
            return _page(request, privacy_request_id, error=exc.message, status=409)
        return redirect("staff:privacy-request-erasure", privacy_request_id=privacy_request_id)
    return _page(request, privacy_request_id)
