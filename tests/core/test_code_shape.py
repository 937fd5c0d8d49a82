"""The house's size rules (CONTRIBUTING, "Rules of the house"): no module over 500 lines and no
function over 60, outside migrations and the demo data. A module that grows past them is split
by topic; a function, into steps with names."""

from __future__ import annotations

import ast
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
MAX_MODULE_LINES = 500
MAX_FUNCTION_LINES = 60


def _is_demo_data(path: Path) -> bool:
    rel = path.relative_to(ROOT).as_posix()
    return rel.startswith("okrkpi/demo/") or path.name in {"demo.py", "demo_content.py"}


def _modules() -> list[Path]:
    found = []
    for path in sorted(ROOT.rglob("*.py")):
        rel = path.relative_to(ROOT).as_posix()
        if rel.startswith((".venv/", "tests/", "build/", "var/")) or "/migrations/" in rel:
            continue
        if not _is_demo_data(path):
            found.append(path)
    return found


def test_the_rules_see_the_code():
    names = {p.relative_to(ROOT).as_posix() for p in _modules()}
    assert {"core/numbers.py", "objectives/rollup.py", "scripts/benchmark.py"} <= names
    assert "objectives/demo.py" not in names and not any("/migrations/" in n for n in names)


def test_no_module_is_over_500_lines():
    long = {
        p.relative_to(ROOT).as_posix(): n
        for p in _modules()
        if (n := p.read_text(encoding="utf-8").count("\n")) > MAX_MODULE_LINES
    }
    assert long == {}, f"split these by topic: {long}"


def test_no_function_is_over_60_lines():
    long = []
    for path in _modules():
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):
                lines = node.end_lineno - node.lineno + 1
                if lines > MAX_FUNCTION_LINES:
                    long.append(f"{path.relative_to(ROOT).as_posix()}:{node.lineno} {node.name} ({lines})")
    assert long == [], f"split these into steps: {long}"
