"""Read the ``# comment`` block right above each attribute of a class: the one place the
settings and the request error codes are documented (the reference generators use it)."""

from __future__ import annotations

import argparse
import ast
from collections.abc import Callable
from pathlib import Path


def comments_above(path: Path, class_name: str) -> dict[str, str]:
    """``{attribute: its comment block, joined into one paragraph}`` in source order; an
    attribute with no comment right above it maps to ``""``."""
    source = path.read_text(encoding="utf-8")
    lines = source.splitlines()
    found = [
        node
        for node in ast.walk(ast.parse(source))
        if isinstance(node, ast.ClassDef) and node.name == class_name
    ]
    if not found:
        raise SystemExit(f"{path}: no class {class_name}")
    docs: dict[str, str] = {}
    for statement in found[0].body:
        if isinstance(statement, ast.AnnAssign):
            target = statement.target
        elif isinstance(statement, ast.Assign) and len(statement.targets) == 1:
            target = statement.targets[0]
        else:
            continue
        if not isinstance(target, ast.Name):
            continue
        block: list[str] = []
        index = statement.lineno - 2
        while index >= 0 and lines[index].strip().startswith("#"):
            block.insert(0, lines[index].strip().removeprefix("#").strip())
            index -= 1
        docs[target.id] = " ".join(block)
    return docs


def write_or_check(path: Path, text: str, *, check: bool, command: str) -> int:
    """Write ``text`` to ``path``, or with ``check`` say whether it is already there."""
    if check:
        current = path.read_text(encoding="utf-8") if path.exists() else ""
        if current != text:
            print(f"{path} is out of date: run {command} and commit it")
            return 1
        return 0
    path.write_text(text, encoding="utf-8")
    return 0


def generator_main(
    description: str | None, path: Path, render: Callable[[], str], command: str
) -> int:
    """The command line of a generated page: write it, or with ``--check`` only compare."""
    parser = argparse.ArgumentParser(description=description)
    parser.add_argument("--check", action="store_true", help="fail if the file is out of date")
    args = parser.parse_args()
    return write_or_check(path, render(), check=args.check, command=command)
