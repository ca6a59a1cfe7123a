from django.urls import path

from deletion_console.ws.consumers import JobProgressConsumer

websocket_urlpatterns = [
    path("ws/deletions/<uuid:job_id>/", JobProgressConsumer.as_asgi()),
]
