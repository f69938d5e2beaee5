"""Settings for tests, and which backends this run covers."""

from __future__ import annotations

import os
import uuid
from pathlib import Path
from typing import Any

from workchat.settings import RATE_LIMIT_SETTINGS, Settings

POSTGRES_URL = os.environ.get("WORKCHAT_TEST_POSTGRES_URL")
REDIS_URL = os.environ.get("WORKCHAT_TEST_REDIS_URL")
SECRET = "test-secret-key-that-is-long-enough-for-hs256-0123456789"
PASSWORD = "correct horse battery staple"

BACKENDS = ["sqlite"] + (["postgres"] if POSTGRES_URL else [])


def test_settings(data_dir: Path, **overrides: Any) -> Settings:
    values = {
        "env": "dev",
        "data_dir": data_dir,
        "secret_key": SECRET,
        # A cheap argon2 profile: tests only.
        "argon2_time_cost": 1,
        "argon2_memory_kib": 8,
        "argon2_parallelism": 1,
        "create_demo_org": False,
        # A loaded CI machine can stall one operation for seconds; the budget test sets its own.
        "execution_timeout_seconds": 60.0,
        # Out of the way of tests that log in or post a lot from one address; the
        # rate-limit tests set their own small limits.
        **{name: "100000/second" for name in RATE_LIMIT_SETTINGS},
        # Tests whose bus is Redis count there too: each test apart from the others.
        "rate_limit_key_prefix": f"test-{uuid.uuid4().hex}",
    }
    values.update(overrides)
    return Settings(**values)  # type: ignore[arg-type]


# A helper, not a test: keeps pytest from collecting it where a test module imports it.
test_settings.__test__ = False  # type: ignore[attr-defined]
