"""Staff URLs for the outbox, included under /staff/messages/ in the "staff" namespace (the
newsletter page, messages/marketing/, is the privacy app's: it sends on consents)."""

from django.urls import path

from praksis.messaging import views

urlpatterns = [
    path("", views.outbox, name="messages"),
    path("<int:message_id>/", views.message_detail, name="message"),
    path("retry/", views.messages_retry, name="messages-retry"),
    path("retry-failed/", views.messages_retry_failed, name="messages-retry-failed"),
]
