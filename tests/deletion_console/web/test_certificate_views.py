import pytest
from django.urls import reverse

from deletion_console.certificates import keys, signing
from deletion_console.models import AuditLogEntry, JobEvent
from tests.factories import deleter, failed_job, succeeded_job, viewer, with_trail

pytestmark = pytest.mark.django_db


@pytest.fixture
def dana(client):
    user = deleter(username="dana")
    client.force_login(user)
    return user


def certified_job(**kwargs):
    return with_trail(succeeded_job(**kwargs))


def page_url(job):
    return reverse("jobs:certificate", args=[job.pk])


def json_url(job):
    return reverse("jobs:certificate-json", args=[job.pk])


def test_the_page_renders_the_figures_of_a_succeeded_job(client, dana, certificate_key):
    job = certified_job(target_label="Tomb of Ash", requested_by=dana)
    head = JobEvent.objects.filter(job=job).order_by("-id").first()
    entry = AuditLogEntry.objects.get(event_id=head.pk)

    response = client.get(page_url(job))

    html = response.content.decode()
    assert response.status_code == 200
    assert "Tomb of Ash" in html and str(job.pk) in html
    assert "dana" in html and "— (no second approval)" in html
    assert '<td class="num">12,500</td>' in html  # campaign_events, thousands separators
    assert html.count('data-role="residue">0</td>') == 17
    assert "SELECT count(*) FROM &quot;session_attendance&quot;" in html
    assert f'id="audit-head">{head.hash}<' in html
    assert f'id="audit-log">{entry.position}, entry hash <code class="hash">{entry.hash}<' in html
    assert keys.key_id(certificate_key.public) in html
    assert "development key" not in html
    assert "@media print" in html


def test_the_json_is_a_download_that_verifies(client, dana, certificate_key):
    job = certified_job()

    response = client.get(json_url(job))

    assert response.status_code == 200
    assert response["Content-Type"].startswith("application/json")
    assert f'filename="deletion-certificate-{job.pk}.json"' in response["Content-Disposition"]
    assert signing.verify(response.content, certificate_key.public).body["job"] == str(job.pk)


def test_a_job_that_did_not_succeed_gets_a_clear_refusal(client, dana, certificate_key):
    job = failed_job()

    for url in (page_url(job), json_url(job)):
        response = client.get(url)
        assert response.status_code == 404
        assert "issued only once a deletion has succeeded" in response.content.decode()


def test_without_debug_or_a_key_certificates_are_refused_saying_what_to_set(client, dana, settings):
    settings.DEBUG, settings.DELETION_CERTIFICATE_KEY = False, ""
    job = certified_job()

    response = client.get(page_url(job))

    assert response.status_code == 503
    assert "DELETION_CERTIFICATE_KEY is not set" in response.content.decode()
    assert client.get(reverse("certificate-public-key")).status_code == 503


def test_a_development_key_says_so(client, dana, settings):
    settings.DEBUG, settings.DELETION_CERTIFICATE_KEY = True, ""
    job = certified_job()

    html = client.get(page_url(job)).content.decode()

    assert 'id="development-key"' in html and "Signed with a development key" in html
    assert b'"development_key": true' in client.get(json_url(job)).content


def test_signed_in_users_who_may_see_the_job_only(client, certificate_key):
    job = certified_job()
    assert client.get(page_url(job)).status_code == 302  # to sign in
    assert client.get(json_url(job)).status_code == 302

    vic = viewer(username="vic")
    client.force_login(vic)
    assert client.get(page_url(job)).status_code == 403
    assert client.get(json_url(job)).status_code == 403

    own = certified_job(requested_by=vic)
    assert client.get(page_url(own)).status_code == 200


def test_the_public_key_is_published_to_anyone(client, certificate_key):
    response = client.get(reverse("certificate-public-key"))

    assert response.status_code == 200
    assert response.content.decode() == keys.public_pem(certificate_key.public)
    assert reverse("certificate-public-key") == "/certificates/public-key.pem"
