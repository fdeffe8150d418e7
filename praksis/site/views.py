"""Pages of the composition layer."""

from django.conf import settings
from django.shortcuts import redirect, render

from praksis.site.demo import demo_overview


def root(request):
    """The staff pages; in demo mode first the demo's front door: its clinics (booking
    page, privacy notice) and their staff sign-ins."""
    if not settings.PRAKSIS_DEMO:
        return redirect("staff:home")
    return render(request, "demo_home.html", demo_overview())
