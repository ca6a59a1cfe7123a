"""The OpenAPI schema and its Swagger UI, served by the console itself."""

import re

import pytest
from django.conf import settings
from django.contrib.staticfiles import finders
from django.core.management import call_command
from django.urls import reverse

pytestmark = pytest.mark.django_db

OPERATIONS = {
    ("/api/targets/{kind}/{target_id}/preview/", "get"),
    ("/api/campaigns/{target_id}/preview/", "get"),
    ("/api/previews/", "post"),
    ("/api/previews/{preview_id}/", "get"),
    ("/api/deletions/", "post"),
    ("/api/deletions/{job_id}/", "get"),
    ("/api/batches/{batch_id}/", "get"),
    ("/api/deletions/{job_id}/cancel/", "post"),
    ("/api/deletions/{job_id}/resume/", "post"),
    ("/api/v1/delete/campaign/{campaign_id}", "post"),
    ("/api/v1/delete/status/{request_id}", "get"),
    ("/api/v1/delete/cancel/{request_id}", "delete"),
    ("/api/v1/tenant/{tenant_id}/deletion-preview", "get"),
    ("/api/v1/tenant/{tenant_id}", "delete"),
}


def test_the_schema_generates_and_validates_without_warnings(tmp_path):
    # --fail-on-warn turns any warning or error of the generator into a failure.
    call_command("spectacular", "--validate", "--fail-on-warn", "--file", str(tmp_path / "schema.yaml"))


@pytest.fixture
def schema(client):
    response = client.get(reverse("api:schema"), HTTP_ACCEPT="application/vnd.oai.openapi+json")
    assert response.status_code == 200
    return response.json()


def test_every_endpoint_has_response_serializers_and_documented_errors(schema):
    found = {(path, method) for path, item in schema["paths"].items() for method in item}
    assert found == OPERATIONS
    for path, method in OPERATIONS:
        responses = schema["paths"][path][method]["responses"]
        assert {"401", "403", "404"} <= set(responses), (path, method)
        ok = next(code for code in responses if code.startswith("2"))
        assert "application/json" in responses[ok]["content"], (path, method)
        if method != "get":
            # A preview changes nothing, so nothing conflicts with it.
            assert {"409", "429"} - ({"409"} if path == "/api/previews/" else set()) <= set(responses), (path, method)


def test_requests_that_create_jobs_document_their_body_and_idempotency_key(schema):
    for path in ("/api/deletions/", "/api/v1/delete/campaign/{campaign_id}", "/api/v1/tenant/{tenant_id}"):
        operation = next(iter(schema["paths"][path].values()))
        if path.startswith("/api/v1/tenant/"):  # a DELETE: OpenAPI gives it no body
            query = {p["name"] for p in operation["parameters"] if p["in"] == "query"}
            assert query == {"preview_token", "confirm_name"}
        else:
            assert list(operation["requestBody"]["content"]) == ["application/json"]
        headers = [p["name"] for p in operation["parameters"] if p["in"] == "header"]
        assert headers == ["Idempotency-Key"], path
        assert {"400", "409", "422", "429"} <= set(operation["responses"])


def test_the_bearer_token_is_a_documented_security_scheme(schema):
    assert schema["components"]["securitySchemes"]["serviceToken"] == {
        "type": "http",
        "scheme": "bearer",
        "description": "A service account's API token, issued once in the admin.",
    }


def test_swagger_ui_is_served_with_local_assets_only(client):
    page = client.get(reverse("api:docs"))

    assert page.status_code == 200
    html = page.content.decode()
    sources = re.findall(r'(?:src|href)="([^"]+)"', html)
    assert sources and all(src.startswith("/") for src in sources), sources
    script = next(src for src in sources if src.endswith("swagger-ui-bundle.js"))
    # Served by whitenoise like every static file (the browser tests fetch through daphne).
    assert finders.find(script.removeprefix(settings.STATIC_URL if settings.STATIC_URL.startswith("/") else "/static/"))
