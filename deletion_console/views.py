from django.http import JsonResponse
from django.shortcuts import redirect
from django.views.decorators.cache import never_cache

from deletion_console.engine.plan import plans
from deletion_console.monitoring.access import may_see_details
from deletion_console.selectors import health


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
    staff and holders of the metrics token see them; everyone else gets ok and the status.

    A round of checks opens a connection to every dependency: only those callers start one (at
    most once per HEALTH_CACHE_SECONDS). Anonymous callers read the latest round's outcome and
    never start one, so a flood of them costs the platform's servers nothing; with no recent
    round they get 503 and `"stale": true`."""
    if may_see_details(request):
        report = health.report()
        return JsonResponse(report, status=200 if report["ok"] else 503)
    report = health.cached_report()
    if report is None:
        return JsonResponse({"ok": False, "stale": True}, status=503)
    return JsonResponse({"ok": report["ok"]}, status=200 if report["ok"] else 503)
