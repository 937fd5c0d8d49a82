# Production image: gunicorn web, Celery worker and Celery beat all run from it
# (see docker-compose.yml). Static files are collected at build time.
FROM python:3.11-slim

ENV PYTHONDONTWRITEBYTECODE=1 PYTHONUNBUFFERED=1 PIP_NO_CACHE_DIR=1 \
    DJANGO_SETTINGS_MODULE=okrkpi.settings.production OKRKPI_VAR_DIR=/app/var
WORKDIR /app

RUN apt-get update && apt-get install -y --no-install-recommends gettext && rm -rf /var/lib/apt/lists/*
COPY pyproject.toml README.md ./
RUN pip install . && rm -rf build *.egg-info
COPY . .
RUN SECRET_KEY="$(python -c 'import secrets; print(secrets.token_urlsafe(64))')" \
    python manage.py collectstatic --noinput \
 && useradd --system --home /app okrkpi && mkdir -p /app/var && chown -R okrkpi /app/var
USER okrkpi
EXPOSE 8000
# The same gunicorn command as docker-compose.yml's web service (a test keeps them equal).
CMD ["gunicorn", "okrkpi.wsgi:application", "--bind", "0.0.0.0:8000", "--workers", "2", "--worker-class", "sync", "--timeout", "30", "--access-logfile", "-"]
