# The console's image for docker-compose.yml: one image, three roles (web, worker, beat).
FROM python:3.11-slim
ENV PYTHONDONTWRITEBYTECODE=1 PYTHONUNBUFFERED=1 \
    DJANGO_SETTINGS_MODULE=deletion_console.config.settings_production DJANGO_STATIC_ROOT=/app/staticfiles
WORKDIR /app
COPY requirements/ requirements/
RUN pip install --no-cache-dir -r requirements/base.txt
COPY . .
# A throwaway key: collectstatic needs settings to load, and never signs anything.
RUN DJANGO_SECRET_KEY=collectstatic-only-build-key python manage.py collectstatic --no-input
EXPOSE 8000
CMD ["daphne", "-b", "0.0.0.0", "-p", "8000", "deletion_console.config.asgi:application"]
