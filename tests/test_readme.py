"""The README's library example runs and prints what the README says it prints."""

from __future__ import annotations

import ast
import re
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def test_the_library_example_runs_and_counts_as_documented() -> None:
    readme = (ROOT / "README.md").read_text()
    section = readme.split("## The engine as a library", 1)[1]
    code = re.search(r"```python\n(.*?)```", section, re.S).group(1)  # type: ignore[union-attr]
    promised = ast.literal_eval(re.search(r"# (\{.*\})", code).group(1))  # type: ignore[union-attr]
    result = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, timeout=60)
    assert result.returncode == 0, result.stderr
    assert result.stdout.startswith("Topologies:\n   Sub-topology: 0\n")
    assert ast.literal_eval(result.stdout.strip().splitlines()[-1]) == promised
