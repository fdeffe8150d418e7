from praksis.clinics.models import Membership, Role


def staff_context(request):
    actor = getattr(request, "actor", None)
    if actor is None:
        return {}
    return {
        "actor": actor,
        "clinic": actor.clinic,
        "role_label": Role(actor.role).label if actor.role in Role.values else actor.role,
        "memberships": Membership.objects.select_related("clinic")
        .filter(user=actor.user, is_active=True)
        .order_by("clinic__name"),
    }
