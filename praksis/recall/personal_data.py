"""What the recall app holds about a person or an animal: its personal-data contract
(see praksis/core/personal_data.py)."""

from __future__ import annotations

from django.utils.translation import gettext_lazy

from praksis.core.personal_data import Contract, Holding, register


class RecallData(Contract):
    label = "recall"
    holdings: tuple[Holding, ...] = ()


register(RecallData())
