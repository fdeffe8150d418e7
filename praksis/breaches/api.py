"""API of the breaches app."""

from ninja import Router

router = Router(tags=["breaches"])
