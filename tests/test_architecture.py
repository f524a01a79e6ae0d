"""The layer rules of ARCHITECTURE.md, read from the real import graph (import-linter
contracts in pyproject.toml), and the house size limit."""

from __future__ import annotations

from pathlib import Path

from importlinter.cli import lint_imports

ROOT = Path(__file__).resolve().parent.parent
MAX_LINES = 400


def test_import_contracts_hold() -> None:
    """bot -> schedules -> handlers -> storage, SDKs only in their adapter, no cycles."""
    # 0 when every contract is kept; the printed report (shown on failure) names the chain.
    assert lint_imports(config_filename=str(ROOT / "pyproject.toml"), no_cache=True) == 0


def test_no_module_over_the_size_limit() -> None:
    long = {
        str(path.relative_to(ROOT)): n
        for room in ("bot", "handlers", "schedules", "storage")
        for path in (ROOT / room).rglob("*.py")
        if (n := len(path.read_text("utf-8").splitlines())) > MAX_LINES
    }
    assert long == {}
