"""Staff URLs of the breaches app (under /staff/)."""

from django.urls import path

from praksis.breaches import views

urlpatterns = [
    path("breaches/", views.breach_list, name="breaches"),
    path("breaches/new/", views.breach_new, name="breach-new"),
    path("breaches/<int:breach_id>/", views.breach_detail, name="breach"),
    path("breaches/<int:breach_id>/edit/", views.breach_edit, name="breach-edit"),
    path("breaches/<int:breach_id>/updates/", views.breach_update, name="breach-update"),
    path("breaches/<int:breach_id>/notified/", views.breach_notified, name="breach-notified"),
    path("breaches/<int:breach_id>/affected/find/", views.affected_find, name="breach-find"),
    path("breaches/<int:breach_id>/affected/notify/", views.affected_notify, name="breach-notify"),
    path("breaches/<int:breach_id>/affected/exempt/", views.affected_exempt, name="breach-exempt"),
    path("breaches/<int:breach_id>/draft/", views.breach_draft, name="breach-draft"),
    path("breaches/<int:breach_id>/draft.pdf", views.breach_draft_pdf, name="breach-draft-pdf"),
]
