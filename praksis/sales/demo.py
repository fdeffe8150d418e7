"""A demo price list per clinic profile (prices include VAT). Idempotent."""

from __future__ import annotations

from decimal import Decimal

from praksis.clinics.models import Clinic
from praksis.sales.models import Kind, Product

# (names by language, kind, price incl. VAT, VAT rate). Health care is exempt from VAT
# in both countries (the eye examination, dental care); goods and veterinary care are not.
CATALOGUE = {
    "optician": [
        ({"sv": "Synundersökning", "nb": "Synsundersøkelse", "en": "Eye examination"},
         Kind.SERVICE, "595.00", "0.00"),
        ({"sv": "Glasögon, enkelslipade", "nb": "Briller, enkeltstyrke",
          "en": "Single-vision glasses"}, Kind.GLASSES, "1995.00", "25.00"),
        ({"sv": "Glasögon, progressiva", "nb": "Briller, progressive",
          "en": "Progressive glasses"}, Kind.GLASSES, "4995.00", "25.00"),
        ({"sv": "Månadslinser, 3-pack", "nb": "Månedslinser, 3-pk",
          "en": "Monthly lenses, 3-pack"}, Kind.LENSES, "349.00", "25.00"),
    ],
    "therapy": [
        ({"sv": "Massageolja 100 ml", "nb": "Massasjeolje 100 ml", "en": "Massage oil 100 ml"},
         Kind.PRODUCT, "189.00", "25.00"),
    ],
    "veterinary": [
        ({"sv": "Vaccination", "nb": "Vaksine", "en": "Vaccine"}, Kind.SERVICE, "450.00",
         "25.00"),
        ({"sv": "Avmaskningstabletter", "nb": "Ormekurtabletter", "en": "Worming tablets"},
         Kind.PRODUCT, "129.90", "25.00"),
    ],
    "dental": [
        ({"sv": "Undersökning", "nb": "Undersøkelse", "en": "Check-up"}, Kind.SERVICE,
         "890.00", "0.00"),
        ({"sv": "Tandrengöring", "nb": "Tannrens", "en": "Cleaning"}, Kind.SERVICE, "690.00",
         "0.00"),
    ],
}  # fmt: skip


def seed_sales(clinic: Clinic) -> list[Product]:
    """Create the demo products of ``clinic``'s profile; running it again adds nothing."""
    products = []
    for names, kind, price, rate in CATALOGUE.get(clinic.profile, []):
        product, _created = Product.objects.get_or_create(
            clinic=clinic,
            name=names.get(clinic.language, names["en"]),
            defaults={"kind": kind, "unit_price": Decimal(price), "vat_rate": Decimal(rate)},
        )
        products.append(product)
    return products
