"""The SMS provider's inbound webhook: replies to reminders (see ``sms_replies``).

Answers in the project's one error shape, ``{"detail": ..., "errors": {...}}``: 401 when
unsigned, 403 when the signature or its timestamp is wrong, 400 for a body that cannot
be read, 405 for another method; 200 with the outcome when the reply was taken (also
for a delivery repeated by the provider, which acts only once). Never a 500.
"""

from __future__ import annotations

from django.http import JsonResponse
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.csrf import csrf_exempt

from praksis.booking import sms_replies


def _error(status: int, message, errors: dict | None = None) -> JsonResponse:
    return JsonResponse({"detail": str(message), "errors": errors or {}}, status=status)


@csrf_exempt
@never_cache
def inbound(request):
    if request.method != "POST":
        response = _error(405, _("Use POST."))
        response["Allow"] = "POST"
        return response
    try:
        length = int(request.META.get("CONTENT_LENGTH") or 0)
    except ValueError:
        length = -1
    if length < 0 or length > sms_replies.MAX_BODY_BYTES:
        return _error(400, _("The request could not be read."))
    if request.content_type != "application/json":
        # A form's body has been read already (and is not what a provider sends).
        return _error(400, _("Send the message as JSON."))
    body = request.body
    try:
        sms_replies.verify(
            body=body,
            signature=request.headers.get(sms_replies.SIGNATURE_HEADER),
            timestamp=request.headers.get(sms_replies.TIMESTAMP_HEADER),
        )
        message = sms_replies.parse(body)
    except sms_replies.WebhookRefused as exc:
        return _error(exc.status, exc.message, exc.errors)
    outcome = sms_replies.reply_receive(message)
    return JsonResponse({"outcome": str(outcome)})
