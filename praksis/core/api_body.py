"""How the API reads a request body: a JSON object, or a JSON array where an operation
declares one (``JsonArray``). Here in the ground so that every app's router can use it."""

from __future__ import annotations

import json

from django.utils.translation import gettext as _
from ninja.errors import HttpError
from ninja.params.models import Body, BodyModel
from ninja.parser import Parser

from praksis.core.errors import ValidationFailed
from praksis.core.input import BODY_FIELD, check_value


class StrictJsonParser(Parser):
    """Request bodies are JSON objects whose values a database can hold.

    Anything else (invalid JSON, an array or a bare value where an object is expected, a
    NUL character, an integer outside 64 bits) is a 422 in the error shape before any
    endpoint runs, so no action runs on a body it did not ask for. An operation whose
    body is a list declares it with ``JsonArray`` and gets an array, never an object.
    """

    def parse_body(self, request):
        return self.parse_json(request, dict, _("The request body must be a JSON object."))

    def parse_json(self, request, kind: type, refusal: str):
        try:
            data = json.loads(request.body)
        except (ValueError, UnicodeDecodeError):
            raise ValidationFailed(
                {BODY_FIELD: [_("The request body is not valid JSON.")]}
            ) from None
        if not isinstance(data, kind):
            raise ValidationFailed({BODY_FIELD: [refusal]})
        check_value(data)
        return data


class _ArrayBodyModel(BodyModel):
    @classmethod
    def get_request_data(cls, request, api, path_params):
        if not request.body:
            return None
        try:
            data = api.parser.parse_json(request, list, _("The request body must be a JSON array."))
        except ValidationFailed as exc:
            raise HttpError(400, "Cannot parse request body") from exc  # as ninja's own
        return {cls.__read_from_single_attr__: data}


class JsonArray(Body):
    """The body of an operation that takes a JSON array: ``week: list[X] = JsonArray(...)``.
    Every other operation's body stays an object (``StrictJsonParser``)."""

    _model = _ArrayBodyModel

    @classmethod
    def _param_source(cls) -> str:
        return "body"
