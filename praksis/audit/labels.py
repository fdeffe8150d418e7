"""The access log in words (REQ-23): what each code a log row carries means, in the
reader's language — for the person's log extract (access report, export) and for any
screen that shows log rows to someone who does not read codes.

A row stores codes (``action="create"``, ``object_type="privacy_request"``,
``role="owner"``, ``channel="public"``) and a short English purpose; these functions turn
them into words. A code without a word here falls back to the personal-data contracts'
labels (``praksis.core.personal_data.label``: the erasure evidence rows use their keys)
and then to a neutral phrase — never to the code itself.
"""

from __future__ import annotations

from django.utils.translation import gettext_lazy as _

from praksis.audit.models import Action
from praksis.clinics.models import Role
from praksis.core import personal_data

# The actions, as the log screens already word them (``Action``'s labels).
ACTION_LABELS = {action.value: action.label for action in Action}

# What was accessed.
OBJECT_LABELS = {
    "access_log": _("Access log"),
    "access_review": _("Review of the access log"),
    "animal": _("Animal"),
    "api_token": _("API tokens"),
    "applicant": _("Job applicants"),
    "appointment": _("Booking"),
    "booking_policy": _("Booking policy"),
    "booking_request": _("Booking requests"),
    "breach": _("Personal data breach"),
    "breach_affected": _("Personal data breach"),
    "breach_notice": _("Notice of a personal data breach"),
    "breach_update": _("Personal data breach"),
    "client_card": _("Client card"),
    "clinic": _("Clinic details"),
    "consent": _("Consents"),
    "data_key": _("Encryption key of your data"),
    "disclosure": _("Disclosures"),
    "instalment_plan": _("Instalment plan"),
    "invoice": _("Invoices"),
    "journal": _("Journal"),
    "journal_attachment": _("Attachment"),
    "journal_entry": _("Journal entry"),
    "legal_hold": _("Legal hold"),
    "membership": _("Staff"),
    "message": _("Messages"),
    "order": _("Orders"),
    "outbox_message": _("Messages"),
    "payment": _("Payments"),
    "person": _("Client record"),
    "portal_lead": _("Leads from the benefits portal"),
    "privacy_notice": _("Privacy notice"),
    "privacy_request": _("Privacy requests"),
    "processing_activity": _("Processing activities"),
    "processor": _("Processors"),
    "recall": _("Recall"),
    "recall_call": _("Recall call"),
    "retention_setting": _("Retention"),
    "setup_link": _("Set-up link"),
    "takedown": _("Taking down published photos"),
    # Rows of the retention sweep (record types) and of an erasure (plan keys).
    "accounting": _("Invoices, receipts and payments"),
    "appointment.ip_address": _("IP address of online bookings"),
    "client": _("Client record"),
    "marketing_consent": _("Proof of marketing consents"),
}
# REQ-20: the reasons a member of staff may give for opening a journal outside a care
# relation ("break the glass"); logged as "outside care: CODE — their own words".
OUTSIDE_CARE = "outside care"
ACCESS_REASONS = {
    "emergency": _("Emergency: care the patient needs now"),
    "colleague": _("Covering for a colleague or giving a second opinion"),
    "follow-up": _("Follow-up: test results, referral answers, messages"),
    "patient-request": _("The patient's own request (a copy, a correction, a deletion)"),
    "quality": _("Quality assurance or internal control"),
    "administration": _("Administration: invoicing, complaints, supervision"),
    "other": _("Another reason (say which below)"),
}
OTHER_OBJECT = _("Other data")
OTHER_ACTION = _("Access")

# Why: the purposes the application logs with (a purpose typed by staff is shown as typed).
PURPOSE_LABELS = {
    "access log review": _("Review of the access log"),
    "access request": _("Your request for access to your data"),
    "access request: downloaded by the person": _(
        "Your request for access to your data: downloaded by you"
    ),
    "access request: sent by e-mail": _("Your request for access to your data: sent by e-mail"),
    "booking": _("Booking"),
    "booking request": _("Booking requests"),
    "breach notice (Art. 34)": _("Notice of a personal data breach"),
    "breach: find affected persons": _("Finding the persons affected by a breach"),
    "calendar": _("Calendar"),
    "care": _("Care"),
    OUTSIDE_CARE: _("Opened outside a care relation"),
    "clinic set-up": _("Setting up the clinic"),
    "consents link": _("Your consents link"),
    "delivery review": _("Checking message delivery"),
    "demo data": _("Demonstration data"),
    "disclosures": _("Disclosures"),
    "draft": _("Draft"),
    "duplicate check": _("Checking for duplicate records"),
    "edit": _("Correction"),
    "erasure": _("Erasure"),
    "erasure plan": _("Planning an erasure"),
    "identity matches": _("Checking your identity"),
    "legal hold": _("Legal hold"),
    "marketing": _("Marketing"),
    "online booking": _("Online booking"),
    "portability request": _("Your request for a copy of your data (portability)"),
    "portability: downloaded by the person": _(
        "Your request for a copy of your data (portability): downloaded by you"
    ),
    "print": _("Print"),
    "privacy notice changed": _("The privacy notice changed"),
    "privacy request": _("Privacy requests"),
    "recall": _("Recall"),
    "recall call list": _("Recall call list"),
    "requests": _("Privacy requests"),
    "retention": _("Retention"),
    "retry delivery": _("Sending a message again"),
    "sales": _("Sales"),
    "sales order": _("Sales"),
    "search": _("Search"),
    "security": _("Security"),
    "staff": _("Staff"),
    "synthetic data": _("Demonstration data"),
    "today": _("Today"),
    # Disclosures log their kind (the same words as the disclosure register).
    "referral": _("Referral to a specialist or another clinic"),
    "lab_sample": _("Sample or images to an external laboratory"),
    "prescription": _("Prescription"),
    "insurer": _("Report to an insurance company"),
    "food_safety": _("Report to the food-safety authority"),
    "police": _("Police or court, on a legal order"),
    "chip_registry": _("ID-chip registry"),
    "other": _("Other disclosure"),
}

# How: the channel a row came through.
CHANNEL_LABELS = {
    "ui": _("Staff screens"),
    "api": _("Connected system"),
    "cli": _("Administration tool"),
    "public": _("Online form or link"),
    "system": _("Automatic"),
    "desk": _("Reception desk"),
    "email": _("E-mail"),
    "sms": _("SMS"),
}

AUTOMATIC_ACTOR = _("Praksis (automatic)")
ONLINE_ACTOR = _("Online form or link (not staff)")
FORMER_STAFF = _("A former member of staff")
SYSTEM_ROLE = "system"


def action_label(code: str) -> str:
    return str(ACTION_LABELS[code]) if code in ACTION_LABELS else str(OTHER_ACTION)


def object_label(code: str) -> str:
    if code in OBJECT_LABELS:
        return str(OBJECT_LABELS[code])
    text = personal_data.label(code)
    return str(text) if text != code else str(OTHER_OBJECT)


def purpose_label(purpose: str) -> str:
    """The purpose in words; a purpose typed by a member of staff is shown as typed."""
    text = PURPOSE_LABELS.get(purpose.strip().lower()) if purpose else None
    if text is None and purpose.startswith(f"{OUTSIDE_CARE}: "):
        # REQ-20: "outside care: CODE — own words" in words, the staff's own words as typed.
        code, _dash, own = purpose[len(OUTSIDE_CARE) + 2 :].partition(" — ")
        if code in ACCESS_REASONS:
            reason = f"{PURPOSE_LABELS[OUTSIDE_CARE]}: {ACCESS_REASONS[code]}"
            return f"{reason} — {own}" if own else reason
    return str(text) if text is not None else purpose


def channel_label(code: str) -> str:
    return str(CHANNEL_LABELS[code]) if code in CHANNEL_LABELS else ""


def role_label(code: str) -> str:
    if code == SYSTEM_ROLE:
        return str(AUTOMATIC_ACTOR)
    return str(Role(code).label) if code in Role.values else ""


def actor_label(*, role: str, channel: str, user_name: str | None, user_id: int | None) -> str:
    """Who, in words: the member of staff by name; never an e-mail address or a code."""
    if user_id is not None:
        return user_name or str(FORMER_STAFF)
    if channel == "public":
        return str(ONLINE_ACTOR)
    return str(AUTOMATIC_ACTOR)
