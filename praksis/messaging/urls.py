"""Staff URLs for the outbox, included under /staff/messages/ in the "staff" namespace."""

from django.urls import path

from praksis.messaging import views

urlpatterns = [
    path("", views.outbox, name="messages"),
    path("<int:message_id>/retry/", views.message_retry, name="message-retry"),
    path("marketing/", views.marketing_send, name="marketing"),
]
