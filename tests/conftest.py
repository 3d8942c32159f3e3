"""Shared fixtures: the repo on sys.path, and a tiny published snapshot for dashboard tests."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

REPO_ROOT = Path(__file__).resolve().parent.parent
TESTS_DIR = Path(__file__).resolve().parent
for path in (REPO_ROOT, TESTS_DIR):
    if str(path) not in sys.path:
        sys.path.insert(0, str(path))

from snapshot_fixture import FixturePaths, build_snapshot  # noqa: E402 (needs sys.path above)


@pytest.fixture
def published(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> FixturePaths:
    """Build the fixture snapshot in tmp_path and point PORTAL_CONFIG at its portal.toml."""
    paths = build_snapshot(tmp_path / "portal")
    monkeypatch.setenv("PORTAL_CONFIG", str(paths.config))
    return paths
