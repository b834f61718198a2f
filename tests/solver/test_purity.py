"""The solver is a pure library: importing it pulls in no web framework,
database or app code (DESIGN.md), so batch jobs and workers stay light."""

from __future__ import annotations

import json
import subprocess
import sys

FORBIDDEN = ("flask", "sqlalchemy", "volunteer_app")
MODULES = ("solver", "solver.cpsat", "solver.explain", "solver.suggest", "solver.parallel", "solver.constraints")


def test_importing_the_solver_imports_no_web_or_database_code():
    script = (
        "import importlib, json, sys\n"
        f"for name in {MODULES!r}: importlib.import_module(name)\n"
        f"print(json.dumps(sorted(m for m in sys.modules if m.split('.')[0] in {FORBIDDEN!r})))\n"
        "print(json.dumps('solver.cpsat' in sys.modules))\n"
    )
    result = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, check=True)
    leaked, loaded = map(json.loads, result.stdout.splitlines())
    assert loaded is True
    assert leaked == []
