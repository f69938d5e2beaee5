#!/usr/bin/env bash
# Audit the locked Python dependencies for known vulnerabilities with pip-audit.
#
# pip-audit needs a vulnerability service: OSV (api.osv.dev) or PyPI's per-release JSON API
# (pypi.org/pypi/<name>/<version>/json). Some build machines reach only a package index
# (PyPI's simple and per-project pages), not these services. There the audit cannot run;
# this script says so and exits 0 unless WORKCHAT_REQUIRE_AUDIT=1, which the GitHub
# workflow sets, so the audit is enforced wherever the services are reachable.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."

PIP_AUDIT_VERSION=2.10.1
UV=.tools/bin/uv

reachable() { # URL -> 0 when it answers 2xx
    curl -fsS -o /dev/null -m 10 "$1" 2>/dev/null
}

service=
if curl -sS -o /dev/null -m 10 -X POST -d '{}' https://api.osv.dev/v1/query 2>/dev/null; then
    service=osv
elif reachable https://pypi.org/pypi/pip/23.2.1/json; then
    service=pypi
fi

if [ -z "$service" ]; then
    msg="dependency audit: neither api.osv.dev nor PyPI's per-release JSON API is reachable from this machine"
    if [ "${WORKCHAT_REQUIRE_AUDIT:-0}" = 1 ]; then
        echo "$msg (WORKCHAT_REQUIRE_AUDIT=1)" >&2
        exit 1
    fi
    echo "$msg; not audited here (the GitHub workflow enforces it)"
    exit 0
fi

requirements=$(mktemp)
trap 'rm -f "$requirements"' EXIT
"$UV" export --frozen --no-hashes --no-emit-project --all-groups >"$requirements"
echo "dependency audit: pip-audit $PIP_AUDIT_VERSION against $service"
"$UV" tool run --from "pip-audit==$PIP_AUDIT_VERSION" pip-audit \
    --strict --progress-spinner off --vulnerability-service "$service" \
    --requirement "$requirements" --no-deps --disable-pip
