"""API of the processing app."""

from ninja import Router

router = Router(tags=["processing"])
