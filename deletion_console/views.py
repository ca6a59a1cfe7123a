from django.http import JsonResponse
from django.shortcuts import redirect
from django.views.decorators.cache import never_cache

from deletion_console.engine.plan import plans
from deletion_console.monitoring.access import may_see_details
from deletion_console.selectors.health import check_all


def home(request):
    first = next((plan.listing for plan in plans() if plan.listing), None)
    return redirect("targets:list", first.section) if first else redirect("jobs:list")


@never_cache
def health_live(request):
    """The process answers: no dependency is called, so a slow store never restarts the web."""
    return JsonResponse({"ok": True})


@never_cache
def health_ready(request):
    """Every dependency answers. Error texts and latencies describe the infrastructure, so only
    staff and holders of the metrics token see them; everyone else gets ok and the status."""
    report = check_all()
    status = 200 if report["ok"] else 503
    return JsonResponse(report if may_see_details(request) else {"ok": report["ok"]}, status=status)
