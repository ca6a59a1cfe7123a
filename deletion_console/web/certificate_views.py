"""Certificate pages: the printable page and the JSON document of a succeeded job, and the
public key that verifies them. Thin: the certificate comes from selectors.certificates."""

from django.contrib.auth.decorators import login_required
from django.http import HttpResponse
from django.shortcuts import render
from django.urls import reverse
from django.views.decorators.http import require_GET

from deletion_console.certificates import keys, signing
from deletion_console.selectors.certificates import NotCertifiable, issue_certificate
from deletion_console.web.views import visible_job


def _certificate(request, job):
    """The signed document, or the page saying why there is none."""
    try:
        return issue_certificate(job), None
    except NotCertifiable as exc:
        status, reason = 404, str(exc)
    except keys.CertificateKeyError as exc:
        status, reason = 503, str(exc)
    page = render(request, "certificates/unavailable.html", {"job": job, "reason": reason}, status=status)
    return None, page


@require_GET
@login_required
def certificate_page(request, job_id):
    job = visible_job(request, job_id)
    document, refusal = _certificate(request, job)
    if refusal:
        return refusal
    context = {
        "job": job,
        "body": document["certificate"],
        "signature": document["signature"],
        "json_url": reverse("jobs:certificate-json", args=[job.pk]),
        "public_key_url": reverse("certificate-public-key"),
    }
    return render(request, "certificates/certificate.html", context)


@require_GET
@login_required
def certificate_json(request, job_id):
    job = visible_job(request, job_id)
    document, refusal = _certificate(request, job)
    if refusal:
        return refusal
    response = HttpResponse(signing.dumps(document), content_type="application/json; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="deletion-certificate-{job.pk}.json"'
    return response


@require_GET
def public_key(request):
    """Anyone may fetch it: it only verifies."""
    try:
        key = keys.signing_key()
    except keys.CertificateKeyError as exc:
        return HttpResponse(str(exc), status=503, content_type="text/plain; charset=utf-8")
    return HttpResponse(keys.public_pem(key.public), content_type="application/x-pem-file")
