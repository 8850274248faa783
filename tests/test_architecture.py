"""The house rules of layering: adapters never import app; schemas import neither."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).parents[1]


def _imported_top_levels(path: Path) -> set[str]:
    tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
    names: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names.update(alias.name.split(".")[0] for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            names.add(node.module.split(".")[0])
    return names


def _violations(package: str, forbidden: set[str]) -> list[str]:
    found = []
    for path in sorted((ROOT / package).rglob("*.py")):
        bad = _imported_top_levels(path) & forbidden
        if bad:
            found.append(f"{path.relative_to(ROOT)} imports {', '.join(sorted(bad))}")
    return found


@pytest.mark.parametrize(
    ("package", "forbidden"),
    [("adapters", {"app"}), ("schemas", {"app", "adapters"})],
)
def test_layering(package: str, forbidden: set[str]) -> None:
    assert _violations(package, forbidden) == []


def test_the_rule_is_able_to_fail(tmp_path: Path) -> None:
    offender = tmp_path / "offender.py"
    offender.write_text("from app.core import config\nimport adapters.http\n")
    assert _imported_top_levels(offender) == {"app", "adapters"}
