from praksis.clinics.models import Membership, Role


def staff_context(request):
    """The header of staff pages: who acts where, their other clinics, the current page."""
    actor = getattr(request, "actor", None)
    if actor is None:
        return {}
    match = getattr(request, "resolver_match", None)
    return {
        "actor": actor,
        "clinic": actor.clinic,
        "role_label": Role(actor.role).label if actor.role in Role.values else actor.role,
        "memberships": Membership.objects.select_related("clinic")
        .filter(user=actor.user, is_active=True)
        .order_by("clinic__name"),
        "nav_current": match.url_name if match else "",
    }
