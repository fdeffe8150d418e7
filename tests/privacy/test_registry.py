"""Every app declares the personal data it holds (issue 12; ARCHITECTURE.md "The
personal-data contract"; LAW.md REQ-11, REQ-27): a model with a path to a person or an
animal, or with contact or identity columns, that no app declares fails the suite."""

from __future__ import annotations

import pytest
from django.apps import apps
from django.db import models
from django.test.utils import isolate_apps

from praksis.core import personal_data
from praksis.core.personal_data import Holding, holdings, problems
from praksis.people.models import Animal, Person
from praksis.privacy import retention


def test_req11_every_model_that_holds_personal_data_is_declared():
    assert problems(apps.get_models()) == []


def test_every_contract_is_registered_at_start_up():
    labels = {c.label for c in personal_data.contracts()}
    assert {"people", "privacy", "booking", "messaging", "journal", "recall", "sales"} <= labels
    assert {"disclosures", "breaches", "audit"} <= labels


@isolate_apps("praksis.people")
def test_a_new_table_with_a_person_key_and_no_declaration_fails():
    class Voucher(models.Model):  # noqa: DJ008
        person = models.ForeignKey(Person, on_delete=models.CASCADE, related_name="+")

        class Meta:
            app_label = "people"

    class VoucherUse(models.Model):  # noqa: DJ008 — a path through another table counts too
        voucher = models.ForeignKey(Voucher, on_delete=models.CASCADE, related_name="+")

        class Meta:
            app_label = "people"

    class Tag(models.Model):  # noqa: DJ008 — a column with contact data, without any key
        customer_email = models.EmailField()

        class Meta:
            app_label = "people"

    class Colour(models.Model):  # noqa: DJ008 — nothing personal
        name = models.CharField(max_length=20)

        class Meta:
            app_label = "people"

    found = problems([Voucher, VoucherUse, Tag, Colour])
    assert len(found) == 3, found
    assert "people.Voucher holds personal data (path to a person or an animal: person)" in found[0]
    assert "voucher__person" in found[1]
    assert "customer_email" in found[2]


@isolate_apps("praksis.people")
def test_an_animal_key_counts_as_personal_data():
    class Vaccination(models.Model):  # noqa: DJ008
        animal = models.ForeignKey(Animal, on_delete=models.CASCADE, related_name="+")

        class Meta:
            app_label = "people"

    assert problems([Vaccination]) != []


def test_a_declaration_needs_an_erasure_rule():
    with pytest.raises(ValueError):
        Holding("people.Person", "client", "pk", erasure="")
    with pytest.raises(ValueError):
        Holding("people.Person", "client", "pk", erasure="forget")


def test_declared_subject_paths_exist():
    bad = [
        (h.model, path)
        for h in holdings()
        for path in h.subject.split("|")
        if not personal_data._path_valid(apps.get_model(h.model), path)
    ]
    assert bad == []


@pytest.mark.django_db
@pytest.mark.parametrize("kind", ["optician", "dental", "vet", "therapy"])
def test_req11_every_declared_record_type_has_a_retention_policy(make_clinic, kind):
    """The policy table knows every record type the apps declare, in every regime."""
    clinic = make_clinic(kind)
    for holding in holdings():
        policy = retention.policy_for(clinic, holding.record_type)
        assert policy.law, holding


def test_every_sweep_rule_belongs_to_a_declared_record_type():
    declared = {h.record_type for h in holdings()} | {"appointment.ip_address", "booking_ip"}
    assert {r.record_type for r in personal_data.sweep_rules()} <= declared
