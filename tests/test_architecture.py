"""The house rules of layering: adapters never import app; schemas import neither; records import no
specialty; and within app only the wiring modules may import an adapter, so every port owns its types."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).parents[1]

# The modules that choose and build adapters: the app's bootstrap, the command line and the per-domain
# wiring. The demo seed is wiring too: it puts the embedded demo practice's patients on the demo clinics.
WIRING = frozenset(
    {
        "app/main.py",
        "app/cli.py",
        "app/records/wiring.py",
        "app/outbox/wiring.py",
        "app/case_finding/wiring.py",
        "app/cds_hooks/wiring.py",
        "app/web/demo_seed.py",
    }
)


def _imported_modules(path: Path) -> set[str]:
    tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
    names: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            names.add(node.module)
    return names


def _imported_top_levels(path: Path) -> set[str]:
    return {name.split(".")[0] for name in _imported_modules(path)}


def _importing(path: Path, forbidden: str) -> bool:
    return any(name == forbidden or name.startswith(f"{forbidden}.") for name in _imported_modules(path))


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


def test_records_import_no_specialty() -> None:
    offenders = [
        str(path.relative_to(ROOT))
        for path in sorted((ROOT / "app/records").rglob("*.py"))
        if _importing(path, "app.specialties")
    ]
    assert offenders == []


def test_only_wiring_modules_import_adapters() -> None:
    offenders = [
        str(path.relative_to(ROOT))
        for path in sorted((ROOT / "app").rglob("*.py"))
        if str(path.relative_to(ROOT)) not in WIRING and _importing(path, "adapters")
    ]
    assert offenders == []


def test_every_wiring_module_named_exists() -> None:
    assert all((ROOT / module).is_file() for module in WIRING)


def test_the_rule_is_able_to_fail(tmp_path: Path) -> None:
    offender = tmp_path / "offender.py"
    offender.write_text("from app.specialties import registry\nimport adapters.http\n")
    assert _imported_top_levels(offender) == {"app", "adapters"}
    assert _importing(offender, "app.specialties")
    assert _importing(offender, "adapters")
    assert not _importing(offender, "app.records")
