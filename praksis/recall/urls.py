"""Staff URLs for recall, included under /staff/recall/ in the "staff" namespace."""

from django.urls import path

from praksis.recall import views

urlpatterns = [
    path("", views.call_list, name="recall"),
    path("<int:recall_id>/attempts/", views.attempt_record, name="recall-attempt"),
]
