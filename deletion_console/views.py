from django.http import JsonResponse
from django.shortcuts import redirect

from deletion_console.selectors.health import check_all


def home(request):
    return redirect("campaigns:list")


def health(request):
    report = check_all()
    return JsonResponse(report, status=200 if report["ok"] else 503)
