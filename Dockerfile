# The one image for every dirmgr service: web (gunicorn), Celery worker and beat, the mail
# catcher and the migrate job differ only by command (see docker-compose.yml).
FROM python:3.11-slim

ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1 \
    DJANGO_SETTINGS_MODULE=dirmgr.settings \
    DIRMGR_VAR_DIR=/var/lib/dirmgr \
    STATIC_ROOT=/app/staticfiles \
    WHITENOISE_USE_FINDERS=false

WORKDIR /app
RUN useradd --system --uid 10001 --home-dir /app --shell /usr/sbin/nologin dirmgr

# Dependencies first, so a code change does not reinstall them.
COPY pyproject.toml ./
RUN pip install .

COPY . .
RUN python manage.py collectstatic --noinput \
    && mkdir -p /var/lib/dirmgr \
    && chown -R dirmgr:dirmgr /var/lib/dirmgr

USER dirmgr
EXPOSE 8000 2525
CMD ["gunicorn", "dirmgr.wsgi:application", "--bind", "0.0.0.0:8000", "--workers", "3", "--access-logfile", "-"]
