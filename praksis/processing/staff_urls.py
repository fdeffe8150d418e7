"""Staff URLs of the processing app (under /staff/): the record, the register, publishing."""

from django.urls import path

from praksis.processing import views

urlpatterns = [
    path("processing/", views.record, name="processing"),
    path("processing/record.pdf", views.record_pdf_view, name="processing-pdf"),
    path("processing/publish/", views.publish, name="processing-publish"),
    path("processing/activities/new/", views.activity_new, name="processing-activity-new"),
    path(
        "processing/activities/<int:activity_id>/",
        views.activity_edit,
        name="processing-activity",
    ),
    path("processing/processors/new/", views.processor_new, name="processing-processor-new"),
    path(
        "processing/processors/<int:processor_id>/",
        views.processor_edit,
        name="processing-processor",
    ),
]
