"""Fixtures of the rgenn Python tests: the repository root and the `rgenn` command line to
compare against (RGENN_BIN, else target/debug/rgenn, built with cargo when missing)."""

import os
import subprocess
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture(scope="session")
def root() -> Path:
    return ROOT


@pytest.fixture(scope="session")
def cli() -> Path:
    given = os.environ.get("RGENN_BIN")
    if given:
        return Path(given)
    binary = ROOT / "target" / "debug" / "rgenn"
    if not binary.exists():
        subprocess.run(["cargo", "build", "--bin", "rgenn"], cwd=ROOT, check=True)
    return binary


def run_cli(cli: Path, *args: str) -> subprocess.CompletedProcess:
    return subprocess.run([str(cli), *args], cwd=ROOT, capture_output=True, text=True, check=False)
