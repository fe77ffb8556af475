# The studio image: web (daphne), Celery workers and beat all run from it
# (docker-compose.yml picks the command). The frontend is built in a Node stage and
# only its output is copied; the final image has no Node.

FROM node:20-bookworm-slim AS frontend
WORKDIR /build/frontend
COPY frontend/package.json frontend/package-lock.json ./
RUN npm ci --no-audit --no-fund
COPY frontend/ ./
RUN npm run build


FROM python:3.11-slim AS studio
ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1 \
    PIP_NO_CACHE_DIR=1 \
    DJANGO_SETTINGS_MODULE=studio.settings
WORKDIR /app

RUN useradd --create-home --uid 1000 riffle
COPY requirements.txt ./
RUN pip install -r requirements.txt

COPY manage.py pyproject.toml ./
COPY runtime/ runtime/
COPY studio/ studio/
COPY --from=frontend /build/frontend/dist frontend/dist

# Static files are collected at build time; whitenoise serves them with DJANGO_DEBUG=0.
# The secret only satisfies settings for this one command; it is never used at runtime.
RUN DJANGO_DEBUG=0 DJANGO_SECRET_KEY=collectstatic-only DJANGO_ALLOWED_HOSTS=localhost \
        python manage.py collectstatic --noinput -v 0 \
    && chown -R riffle:riffle /app/var

USER riffle
EXPOSE 8000
CMD ["daphne", "-b", "0.0.0.0", "-p", "8000", "studio.asgi:application"]
