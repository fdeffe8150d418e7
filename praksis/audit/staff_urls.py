"""Staff URLs of the access-log review (under /staff/)."""

from django.urls import path

from praksis.audit import views

urlpatterns = [
    path("access-log/", views.review_home, name="access-review"),
    path("access-log/reviews/", views.review_record, name="access-review-record"),
    path(
        "access-log/reviews/<int:review_id>/",
        views.review_detail,
        name="access-review-detail",
    ),
]
