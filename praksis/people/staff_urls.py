"""Staff pages for people (under /staff/; the person page itself, ``persons/<id>/``, is the
composition layer's: praksis.site.person_page)."""

from django.urls import path

from praksis.people import views as people_views
from praksis.people.picker import person_pick

urlpatterns = [
    path("persons/", people_views.person_list, name="persons"),
    path("persons/new/", people_views.person_create, name="person-create"),
    path("persons/pick/", person_pick, name="person-pick"),
    path("persons/<int:person_id>/edit/", people_views.person_edit, name="person-edit"),
    path(
        "persons/<int:person_id>/access-log/",
        people_views.person_access_log_view,
        name="person-access-log",
    ),
    path(
        "persons/<int:person_id>/animals/new/",
        people_views.animal_create,
        name="animal-create",
    ),
    path(
        "persons/<int:person_id>/guardians/",
        people_views.person_guardians,
        name="person-guardians",
    ),
    path("children/", people_views.children_setting, name="children-setting"),
    path("animals/<int:animal_id>/", people_views.animal_detail, name="animal"),
    path("animals/<int:animal_id>/edit/", people_views.animal_edit, name="animal-edit"),
    path(
        "animals/<int:animal_id>/weights/",
        people_views.animal_weight_new,
        name="animal-weight-new",
    ),
    path("animals/<int:animal_id>/owners/", people_views.animal_owners, name="animal-owners"),
]
