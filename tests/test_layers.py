"""The layer contracts of pyproject.toml hold (import-linter), and kernels/ names no trap."""
import os
import shutil
import subprocess
import sys

import pytest

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def test_import_contracts_hold():
    lint = shutil.which("lint-imports") or os.path.join(os.path.dirname(sys.executable),
                                                         "lint-imports")
    if not os.path.exists(lint):
        pytest.skip("import-linter is not installed (pip install -e .[test])")
    result = subprocess.run([lint, "--config", os.path.join(ROOT, "pyproject.toml")],
                            cwd=ROOT, capture_output=True, text=True)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "Contracts: " in result.stdout and " broken" in result.stdout


def test_only_lang_imports_artiq():
    offenders = []
    for folder in ("control", "drivers", "kernels", "experiments"):
        for dirpath, _, files in os.walk(os.path.join(ROOT, folder)):
            for name in files:
                if not name.endswith(".py"):
                    continue
                path = os.path.join(dirpath, name)
                rel = os.path.relpath(path, ROOT)
                if rel == os.path.join("control", "lang.py"):
                    continue
                with open(path) as f:
                    for line in f:
                        stripped = line.strip()
                        if stripped.startswith(("import artiq", "from artiq")):
                            offenders.append(rel)
    assert offenders == []
