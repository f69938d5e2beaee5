"""The generated docs pages match their one source (the Settings class, schema.graphql and the
error codes), and the generators refuse an undocumented setting or error code."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "scripts"))

import source_comments  # noqa: E402


@pytest.mark.parametrize("script", ["gen_api_reference.py", "gen_settings_reference.py"])
def test_generated_page_is_up_to_date(script: str) -> None:
    done = subprocess.run(
        [sys.executable, str(ROOT / "scripts" / script), "--check"],
        capture_output=True,
        text=True,
        check=False,
    )
    assert done.returncode == 0, done.stdout + done.stderr


def test_every_setting_and_error_code_appears_in_the_pages() -> None:
    import dataclasses

    from workchat.errors import ErrorCode, RequestErrorCode
    from workchat.settings import Settings

    configuration = (ROOT / "docs" / "reference" / "configuration.md").read_text()
    for field in dataclasses.fields(Settings):
        assert f"| `WORKCHAT_{field.name.upper()}` |" in configuration
    api = (ROOT / "docs" / "reference" / "api.md").read_text()
    for code in [*ErrorCode, *RequestErrorCode]:
        assert f"| `{code.value}` |" in api


def test_comments_above_reads_blocks_and_reports_missing(tmp_path: Path) -> None:
    source = tmp_path / "example.py"
    source.write_text(
        "class Example:\n"
        "    # First line\n"
        "    # second line.\n"
        "    documented: int = 1\n"
        "\n"
        "    undocumented: str = ''\n"
        "    # An enum-style member.\n"
        "    MEMBER = 'MEMBER'\n"
    )
    docs = source_comments.comments_above(source, "Example")
    assert docs == {
        "documented": "First line second line.",
        "undocumented": "",
        "MEMBER": "An enum-style member.",
    }


def test_check_mode_reports_a_stale_page(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    page = tmp_path / "page.md"
    page.write_text("old\n")
    assert source_comments.write_or_check(page, "new\n", check=True, command="regen") == 1
    assert "out of date: run regen" in capsys.readouterr().out
    assert page.read_text() == "old\n"
    assert source_comments.write_or_check(page, "new\n", check=False, command="regen") == 0
    assert source_comments.write_or_check(page, "new\n", check=True, command="regen") == 0
