#!/usr/bin/env bash
# Audit the locked dependencies for known vulnerabilities: Python with pip-audit (uv.lock),
# the web client with npm audit (web/package-lock.json).
#
# Both need an advisory service: pip-audit asks OSV (api.osv.dev) or PyPI's per-release JSON
# API (pypi.org/pypi/<name>/<version>/json); npm audit POSTs to the registry's bulk advisory
# endpoint. Some build machines reach only package indexes, not these services. There an
# audit cannot run: this script says so and goes on, unless WORKCHAT_REQUIRE_AUDIT=1 (set by
# the GitHub workflow), so the audits are enforced wherever the services are reachable.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."

PIP_AUDIT_VERSION=2.10.1
UV=.tools/bin/uv

unreachable() { # what -> exit 1 when audits are required, else note it and go on
    local msg="dependency audit: cannot reach $1 from this machine"
    if [ "${WORKCHAT_REQUIRE_AUDIT:-0}" = 1 ]; then
        echo "$msg (WORKCHAT_REQUIRE_AUDIT=1)" >&2
        exit 1
    fi
    echo "$msg; not audited here (the GitHub workflow enforces it)"
}

audit_python() {
    local service= requirements
    if curl -sS -o /dev/null -m 10 -X POST -d '{}' https://api.osv.dev/v1/query 2>/dev/null; then
        service=osv
    elif curl -fsS -o /dev/null -m 10 https://pypi.org/pypi/pip/23.2.1/json 2>/dev/null; then
        service=pypi
    else
        unreachable "a vulnerability service for pip-audit (api.osv.dev or PyPI's per-release JSON API)"
        return
    fi
    requirements=$(mktemp)
    "$UV" export --frozen --no-hashes --no-emit-project --all-groups >"$requirements"
    echo "dependency audit: pip-audit $PIP_AUDIT_VERSION against $service"
    "$UV" tool run --from "pip-audit==$PIP_AUDIT_VERSION" pip-audit \
        --strict --progress-spinner off --vulnerability-service "$service" \
        --requirement "$requirements" --no-deps --disable-pip
    rm -f "$requirements"
}

audit_web() {
    local out rc=0
    [ -f web/package-lock.json ] || return 0
    out=$(cd web && npm audit --package-lock-only --audit-level=high 2>&1) || rc=$?
    if [ "$rc" -ne 0 ] && grep -q "audit endpoint returned an error" <<<"$out"; then
        unreachable "the npm registry's advisory endpoint"
        return
    fi
    echo "$out"
    [ "$rc" -eq 0 ] || { echo "dependency audit: npm audit found high or critical advisories" >&2; exit 1; }
}

audit_python
audit_web
