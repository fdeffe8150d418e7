from __future__ import annotations

from praksis.sales.demo import seed_sales
from praksis.sales.models import Product


def test_seed_sales_is_idempotent_and_per_profile(make_clinic):
    optician, dental = make_clinic("optician"), make_clinic("dental")
    first = seed_sales(optician)
    assert [p.name for p in first] == [
        "Synundersökning", "Glasögon, enkelslipade", "Glasögon, progressiva",
        "Månadslinser, 3-pack",
    ]  # fmt: skip
    seed_sales(optician)
    assert Product.objects.filter(clinic=optician).count() == 4
    assert {p.name for p in seed_sales(dental)} == {"Undersøkelse", "Tannrens"}
    assert {str(p.vat_rate) for p in seed_sales(dental)} == {"0.00"}
