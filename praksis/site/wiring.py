"""What the composition layer plugs into the apps' hooks at start-up."""

from praksis.audit import sources as review_sources
from praksis.audit.services import log_accesses
from praksis.booking import selectors as booking_selectors
from praksis.core import access_log
from praksis.disclosures import entries as disclosure_entries
from praksis.disclosures import selectors as disclosure_selectors
from praksis.journal import care as journal_care
from praksis.journal import selectors as journal_selectors
from praksis.journal.services import recall_due
from praksis.privacy import answer_links
from praksis.privacy import sources as privacy_sources
from praksis.processing import selectors as processing_selectors
from praksis.recall.selectors import register_visit_source
from praksis.recall.services import recall_set
from praksis.sales import entries as sales_entries
from praksis.site import access_review, account, care_relation, clinic_setup, journal_links


def _recall_from_journal(sender, *, actor, subject: dict, **recall) -> None:
    """A signed journal entry's recall (optician, dental, vet vaccinations)."""
    recall.pop("signal", None)
    recall_set(actor=actor, **subject, **recall)


def connect() -> None:
    """Register every cross-app hook (idempotent: each registry keeps one of each)."""
    access_log.register_writer(log_accesses)  # clinics logs through the ground's port
    # REQ-50: a client signed in with an eID opens their privacy answers without a code.
    answer_links.register_strong_sign_in(account.signed_in_strongly)
    clinic_setup.connect()
    # The recall list's "last visit" and "next booking", seen by booking and the journal.
    register_visit_source(booking_selectors.visit_dates)
    register_visit_source(journal_selectors.visit_dates)
    recall_due.connect(_recall_from_journal, dispatch_uid="praksis.site:recall-from-journal")
    # REQ-20: a booking with the user is a care relation with the journal's subject.
    journal_care.register_booking_source(care_relation.booked_with)
    # The access log's review: relations, working hours and closed days, persons.
    review_sources.register_relation(access_review.booking_relation)
    review_sources.register_relation(access_review.journal_relation)
    review_sources.register_relation(access_review.request_relation)
    review_sources.register_hours(access_review.working_hours)
    review_sources.register_closed_days(access_review.closed_days)
    review_sources.register_people(
        names=access_review.person_names, matches=access_review.person_matches
    )
    # The privacy engine's notice (from the record of processing) and Art. 19 recipients.
    privacy_sources.register_notice_builder(
        processing_selectors.build_notice, context=processing_selectors.notice_context
    )
    privacy_sources.register_recipients_source(disclosure_selectors.recipients_of_many)
    # The journal entries a disclosure sends along.
    disclosure_entries.register(
        chosen=journal_links.disclosure_chosen,
        choices=journal_links.disclosure_choices,
        journal=journal_links.disclosure_journal,
        labels=journal_links.field_labels,
    )
    # The journal entry that prescribed an order.
    sales_entries.register(entry=journal_links.entry_of_clinic, notes=journal_links.notes_for_order)
