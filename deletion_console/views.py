from django.http import JsonResponse
from django.shortcuts import redirect

from deletion_console.engine.plan import plans
from deletion_console.selectors.health import check_all


def home(request):
    first = next((plan.listing for plan in plans() if plan.listing), None)
    return redirect("targets:list", first.section) if first else redirect("jobs:list")


def health(request):
    report = check_all()
    return JsonResponse(report, status=200 if report["ok"] else 503)
