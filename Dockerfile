# syntax=docker/dockerfile:1
# workchat server image. Build: docker build -t workchat .
# Run (SQLite in a volume):
#   docker run -p 8000:8000 -e WORKCHAT_SECRET_KEY=... -v workchat-data:/data workchat
# The web client (web/ -> workchat/web_dist/), built in a node stage; only its output ships.
FROM node:20-slim AS web
WORKDIR /src/web
COPY web/package.json web/package-lock.json ./
RUN npm ci --no-audit --no-fund
COPY schema.graphql /src/schema.graphql
COPY web/ ./
RUN npm run build

FROM python:3.11-slim

ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    UV_COMPILE_BYTECODE=1 \
    UV_LINK_MODE=copy \
    UV_PYTHON_DOWNLOADS=never \
    UV_NO_CACHE=1

RUN pip install --no-cache-dir uv==0.13.9

WORKDIR /app

# Dependencies first, so a code change does not reinstall them.
COPY pyproject.toml uv.lock README.md ./
RUN uv sync --frozen --no-dev --no-install-project

# The project itself. Keep it an editable install: the migrations are found next to the
# workchat/ folder (/app/migrations), not inside site-packages.
COPY workchat/ workchat/
COPY --from=web /src/workchat/web_dist/ workchat/web_dist/
COPY migrations/ migrations/
RUN uv sync --frozen --no-dev

RUN useradd --system --uid 10001 --home-dir /app --shell /usr/sbin/nologin workchat \
    && mkdir -p /data \
    && chown workchat:workchat /data

ENV PATH=/app/.venv/bin:$PATH \
    WORKCHAT_ENV=prod \
    WORKCHAT_HOST=0.0.0.0 \
    WORKCHAT_PORT=8000 \
    WORKCHAT_DATA_DIR=/data

USER workchat
VOLUME ["/data"]
EXPOSE 8000

HEALTHCHECK --interval=10s --timeout=5s --start-period=30s --retries=3 \
    CMD ["python", "-c", "import os, urllib.request; urllib.request.urlopen('http://127.0.0.1:%s/healthz' % os.environ.get('WORKCHAT_PORT', '8000'), timeout=4)"]

# Migrates the database, then serves. WORKCHAT_SECRET_KEY is required (WORKCHAT_ENV=prod).
CMD ["workchat", "serve"]
