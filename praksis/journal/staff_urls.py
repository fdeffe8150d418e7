"""Staff URLs of the journal (under /staff/, in the "staff" namespace)."""

from django.urls import path

from praksis.journal import views as journal_views

urlpatterns = [
    *[
        pattern
        for kind in ("persons", "animals")
        for pattern in (
            path(
                f"{kind}/<int:subject_id>/journal/",
                journal_views.journal_page,
                {"kind": kind},
                name=f"journal-{kind}",
            ),
            path(
                f"{kind}/<int:subject_id>/journal/new/",
                journal_views.entry_new,
                {"kind": kind},
                name=f"journal-new-{kind}",
            ),
            path(
                f"{kind}/<int:subject_id>/journal/requests/",
                journal_views.journal_requests_page,
                {"kind": kind},
                name=f"journal-requests-{kind}",
            ),
            path(
                f"{kind}/<int:subject_id>/journal/reason/",
                journal_views.journal_reason,
                {"kind": kind},
                name=f"journal-reason-{kind}",
            ),
            path(
                f"{kind}/<int:subject_id>/journal.pdf",
                journal_views.journal_print,
                {"kind": kind},
                name=f"journal-print-{kind}",
            ),
        )
    ],
    path(
        "persons/<int:subject_id>/client-card/",
        journal_views.client_card_save,
        name="client-card",
    ),
    path(
        "journal/requests/<int:journal_request_id>/decision/",
        journal_views.journal_request_decide,
        name="journal-request-decide",
    ),
    path("journal/<int:entry_id>/edit/", journal_views.entry_edit, name="journal-edit"),
    path("journal/<int:entry_id>/sign/", journal_views.entry_sign, name="journal-sign"),
    path("journal/<int:entry_id>/discard/", journal_views.entry_discard, name="journal-discard"),
    path("journal/<int:entry_id>/followups/", journal_views.followup_new, name="journal-followup"),
    path(
        "journal/<int:entry_id>/attachments/",
        journal_views.attachment_upload,
        name="journal-attach",
    ),
    path(
        "journal/attachments/<int:attachment_id>/",
        journal_views.attachment_download,
        name="journal-attachment",
    ),
]
