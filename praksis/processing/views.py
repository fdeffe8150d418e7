"""Staff pages: the record of processing, the processor register, publishing the notice."""

from __future__ import annotations

from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.http import urlencode
from django.utils.translation import gettext_lazy as _
from django.views.decorators.http import require_http_methods, require_POST

from praksis.clinics.auth import staff_view
from praksis.clinics.reauth import recent_auth
from praksis.core.errors import ValidationFailed
from praksis.processing import selectors, services
from praksis.processing.models import (
    COUNTRIES,
    LANGS,
    LegalBasis,
    Service,
    SpecialBasis,
    TransferBasis,
    country_name,
)
from praksis.processing.pdf import record_pdf

FIELD_LABELS = {
    "name": _("Name of the activity"),
    "purpose": _("Purpose (art. 30.1 b)"),
    "data_subjects": _("Categories of persons (art. 30.1 c)"),
    "data_categories": _("Categories of personal data (art. 30.1 c)"),
    "recipients": _("Recipients (art. 30.1 d)"),
    "basis_detail": _("The law behind the legal basis"),
    "legitimate_interest": _("The legitimate interest pursued (needed with GDPR art. 6.1 f)"),
    "retention_note": _("Retention where no record type applies (art. 30.1 f)"),
    "security": _("Security measures (art. 30.1 g)"),
}
LANG_LABELS = {"sv": "svenska", "nb": "norsk bokmål", "en": "English"}
PROCESSOR_FIELDS = (
    "name",
    "service",
    "dpa_signed_on",
    "country",
    "location",
    "sub_processors",
    "third_countries",
    "transfer_basis",
    "contact",
)


def _page(request, extra: dict | None = None, *, status: int = 200):
    clinic = request.actor.clinic
    context = {
        **selectors.record_view(clinic),
        "versions": selectors.notice_versions(clinic),
        "publish_values": {},
        "publish_errors": {},
        **(extra or {}),
    }
    return render(request, "processing/record.html", context, status=status)


@staff_view("privacy.manage")
def record(request):
    return _page(request)


@staff_view("privacy.manage")
def record_pdf_view(request):
    clinic = request.actor.clinic
    pdf = record_pdf(actor=request.actor, language=selectors.current_language(clinic))
    response = HttpResponse(pdf, content_type="application/pdf")
    response["Content-Disposition"] = 'attachment; filename="processing-record.pdf"'
    return response


@require_POST
@staff_view("privacy.manage")
@recent_auth
def publish(request):
    values = {
        "summary": request.POST.get("summary", ""),
        "material": request.POST.get("material") == "1",
    }
    try:
        result = services.notice_publish(actor=request.actor, **values)
    except ValidationFailed as exc:
        return _page(request, {"publish_values": values, "publish_errors": exc.errors}, status=422)
    key = "published" if result.created else "unchanged"
    query = {key: result.notice.version}
    if result.created and values["material"]:
        query["queued"] = result.queued
    return redirect(f"{reverse('staff:processing')}?{urlencode(query)}")


# --- Activities -----------------------------------------------------------------------


def _activity_posted(post) -> dict:
    data: dict = {
        field: {lang: post.get(f"{field}_{lang}", "") for lang in LANGS}
        for field in selectors.TEXT_FIELDS
    }
    data.update(
        key=post.get("key", ""),
        order=post.get("order", ""),
        is_active=post.get("is_active") == "1",
        legal_bases=post.getlist("legal_bases"),
        special_basis=post.get("special_basis", ""),
        retention_keys=post.getlist("retention_keys"),
        processors=post.getlist("processors"),
    )
    return data


def _activity_values(activity) -> dict:
    return {
        **{field: dict(getattr(activity, field) or {}) for field in selectors.TEXT_FIELDS},
        "key": activity.key,
        "order": str(activity.order),
        "is_active": activity.is_active,
        "legal_bases": list(activity.legal_bases),
        "special_basis": activity.special_basis,
        "retention_keys": list(activity.retention_keys),
        "processors": [str(pk) for pk in activity.processors.values_list("pk", flat=True)],
    }


def _activity_form(request, values: dict, errors: dict, *, activity=None, status=200):
    clinic = request.actor.clinic
    keys = selectors.record_types(clinic)
    policies = selectors.retention_policies(clinic, keys)
    chosen_processors = {str(v) for v in values.get("processors", [])}
    context = {
        "activity": activity,
        "values": values,
        "errors": errors,
        "text_rows": [
            {
                "label": FIELD_LABELS[field],
                "inputs": [
                    {
                        "name": f"{field}_{lang}",
                        "lang": lang,
                        "lang_label": LANG_LABELS[lang],
                        "value": (values.get(field) or {}).get(lang, ""),
                        "errors": errors.get(f"{field}_{lang}", []),
                        "required": field in ("name", "purpose") and lang == clinic.language,
                        "long": field not in ("name", "basis_detail"),
                    }
                    for lang in LANGS
                ],
            }
            for field in selectors.TEXT_FIELDS
        ],
        "bases": [
            (code, label, code in values.get("legal_bases", []))
            for code, label in LegalBasis.choices
        ],
        "specials": [
            (code, label, code == values.get("special_basis", ""))
            for code, label in SpecialBasis.choices
        ],
        "retention_options": [
            (
                key,
                policies[key].label if key in policies else key,
                policies[key].describe() if key in policies else "",
                key in values.get("retention_keys", []),
            )
            for key in keys
        ],
        "processor_options": [
            (p.pk, p.name, Service(p.service).label, str(p.pk) in chosen_processors, p.is_active)
            for p in selectors.processors_of(clinic)
        ],
    }
    return render(request, "processing/activity_form.html", context, status=status)


@require_http_methods(["GET", "POST"])
@staff_view("privacy.manage")
def activity_new(request):
    if request.method == "POST":
        values = _activity_posted(request.POST)
        try:
            services.activity_save(actor=request.actor, data=values)
        except ValidationFailed as exc:
            return _activity_form(request, values, exc.errors, status=422)
        return redirect("staff:processing")
    return _activity_form(request, {"is_active": True, "legal_bases": [], "retention_keys": []}, {})


@require_http_methods(["GET", "POST"])
@staff_view("privacy.manage")
def activity_edit(request, activity_id: int):
    activity = selectors.activity_get(actor=request.actor, activity_id=activity_id)
    if request.method == "POST":
        values = _activity_posted(request.POST)
        values["key"] = activity.key
        try:
            services.activity_save(actor=request.actor, data=values, activity_id=activity.pk)
        except ValidationFailed as exc:
            return _activity_form(request, values, exc.errors, activity=activity, status=422)
        return redirect("staff:processing")
    return _activity_form(request, _activity_values(activity), {}, activity=activity)


# --- Processors -----------------------------------------------------------------------


def _processor_form(request, values: dict, errors: dict, *, processor=None, status=200):
    language = selectors.current_language(request.actor.clinic)
    context = {
        "processor": processor,
        "values": values,
        "errors": errors,
        "services": Service.choices,
        "countries": sorted(
            ((code, country_name(code, language)) for code in COUNTRIES), key=lambda c: c[1]
        ),
        "transfer_bases": TransferBasis.choices,
    }
    return render(request, "processing/processor_form.html", context, status=status)


def _processor_posted(post) -> dict:
    values = {field: post.get(field, "") for field in PROCESSOR_FIELDS}
    values["is_active"] = post.get("is_active") == "1"
    return values


@require_http_methods(["GET", "POST"])
@staff_view("privacy.manage")
def processor_new(request):
    if request.method == "POST":
        values = _processor_posted(request.POST)
        try:
            services.processor_save(actor=request.actor, data=values)
        except ValidationFailed as exc:
            return _processor_form(request, values, exc.errors, status=422)
        return redirect("staff:processing")
    country = request.actor.clinic.country
    return _processor_form(request, {"is_active": True, "country": country}, {})


@require_http_methods(["GET", "POST"])
@staff_view("privacy.manage")
def processor_edit(request, processor_id: int):
    processor = selectors.processor_get(actor=request.actor, processor_id=processor_id)
    if request.method == "POST":
        values = _processor_posted(request.POST)
        try:
            services.processor_save(actor=request.actor, data=values, processor_id=processor.pk)
        except ValidationFailed as exc:
            return _processor_form(request, values, exc.errors, processor=processor, status=422)
        return redirect("staff:processing")
    values = {field: getattr(processor, field) or "" for field in PROCESSOR_FIELDS}
    values["dpa_signed_on"] = processor.dpa_signed_on.isoformat() if processor.dpa_signed_on else ""
    values["is_active"] = processor.is_active
    return _processor_form(request, values, {}, processor=processor)
