# Starport: runtime dependencies only (requirements-runtime.lock), a non-root user, a health check.
#   docker build -t starport .
#   docker run --env-file .env -p 8000:8000 starport
# The image migrates nothing by itself: run `starport db upgrade` once per release (the compose
# file in deploy/ has a migrate step), or set the command to `serve --migrate`.
FROM python:3.12-slim AS base

ENV PYTHONDONTWRITEBYTECODE=1 PYTHONUNBUFFERED=1 PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1 STARPORT_HOST=0.0.0.0 STARPORT_PORT=8000 \
    STARPORT_LOG_FORMAT=json

WORKDIR /app
COPY requirements-runtime.lock ./
RUN pip install --require-hashes -r requirements-runtime.lock
COPY pyproject.toml README.md LICENSE ./
COPY src ./src
COPY pkg ./pkg
COPY deploy/healthcheck.py /usr/local/bin/starport-healthcheck
RUN pip install --no-deps . \
    && useradd --system --uid 10001 --home-dir /app --shell /usr/sbin/nologin starport \
    && mkdir -p /app/var && chown starport /app/var

USER starport
EXPOSE 8000
HEALTHCHECK --interval=15s --timeout=5s --start-period=20s --retries=3 \
    CMD ["python", "/usr/local/bin/starport-healthcheck"]
CMD ["starport", "serve"]
