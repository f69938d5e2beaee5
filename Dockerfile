# syntax=docker/dockerfile:1
# workchat server image, three stages; only the last one ships:
#   web      Node 20 builds the web client (web/ -> workchat/web_dist/)
#   build    uv installs the locked dependencies and the project into /app/.venv
#   runtime  python:3.11-slim with /app, a non-root user and the /data volume
# Build: docker build -t workchat . (or docker buildx; on the project's machines, which have
# no Docker daemon: scripts/build-image). Run (SQLite in a volume):
#   docker run -p 8000:8000 -e WORKCHAT_SECRET_KEY=... -v workchat-data:/data workchat

FROM node:20-slim AS web
WORKDIR /src/web
COPY web/package.json web/package-lock.json ./
RUN --mount=type=cache,target=/root/.npm npm ci --no-audit --no-fund --loglevel=error
COPY schema.graphql /src/schema.graphql
COPY web/ ./
RUN npm run build -- --logLevel warn

FROM python:3.11-slim AS build
ENV UV_COMPILE_BYTECODE=1 \
    UV_LINK_MODE=copy \
    UV_PYTHON_DOWNLOADS=never \
    UV_PROJECT_ENVIRONMENT=/app/.venv
RUN pip install --no-cache-dir uv==0.13.9
WORKDIR /app
# Dependencies first, so a code change does not reinstall them.
COPY pyproject.toml uv.lock README.md ./
RUN --mount=type=cache,target=/root/.cache/uv uv sync --frozen --no-dev --no-install-project
# The project itself, as an editable install: the migrations are found next to the
# workchat/ folder (/app/migrations), not inside site-packages, so /app keeps its layout.
COPY workchat/ workchat/
COPY migrations/ migrations/
COPY --from=web /src/workchat/web_dist/ workchat/web_dist/
RUN --mount=type=cache,target=/root/.cache/uv uv sync --frozen --no-dev

FROM python:3.11-slim AS runtime
# Its own user and group; /data is the only place it writes (SQLite, the dev secret).
RUN groupadd --system --gid 10001 workchat \
    && useradd --system --no-log-init --uid 10001 --gid workchat \
        --home-dir /nonexistent --no-create-home --shell /usr/sbin/nologin workchat \
    && mkdir -p /data \
    && chown workchat:workchat /data

# Root-owned and read-only for the server: it cannot change its own code.
COPY --from=build /app /app

ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PATH=/app/.venv/bin:$PATH \
    WORKCHAT_ENV=prod \
    WORKCHAT_HOST=0.0.0.0 \
    WORKCHAT_PORT=8000 \
    WORKCHAT_DATA_DIR=/data

WORKDIR /app
USER 10001:10001
VOLUME ["/data"]
EXPOSE 8000

# Ready means the database answers; an orchestrator restarts or drains on failure.
HEALTHCHECK --interval=10s --timeout=5s --start-period=30s --retries=3 \
    CMD ["python", "-c", "import os, urllib.request; urllib.request.urlopen('http://127.0.0.1:%s/readyz' % os.environ.get('WORKCHAT_PORT', '8000'), timeout=4)"]

# Migrates the database, then serves. WORKCHAT_SECRET_KEY is required (WORKCHAT_ENV=prod).
CMD ["workchat", "serve"]

# Last, so a new commit or build time only changes metadata, not cached layers.
ARG VERSION=0.0.0
ARG REVISION=unknown
ARG CREATED=1970-01-01T00:00:00Z
LABEL org.opencontainers.image.title="workchat" \
    org.opencontainers.image.description="Team chat server: one GraphQL API, live events, search, audit and MCP tools" \
    org.opencontainers.image.licenses="MIT" \
    org.opencontainers.image.version="${VERSION}" \
    org.opencontainers.image.revision="${REVISION}" \
    org.opencontainers.image.created="${CREATED}"
