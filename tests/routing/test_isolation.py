"""routing/ is pure Python: importing all of it must not load Django."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]

PROBE = """
import importlib, json, pkgutil, sys
import routing
names = ["routing"]
for info in pkgutil.walk_packages(routing.__path__, "routing."):
    if info.name.rsplit(".", 1)[-1] == "__main__":
        continue  # a command-line entry point runs when imported
    importlib.import_module(info.name)
    names.append(info.name)
print(json.dumps({"imported": names, "django": sorted(m for m in sys.modules if m == "django" or m.startswith("django.") or m.startswith("gateway_admin"))}))
"""


def test_importing_every_routing_module_does_not_load_django():
    env = {"PATH": "/usr/bin:/bin", "PYTHONPATH": str(ROOT), "PYTHONDONTWRITEBYTECODE": "1"}
    done = subprocess.run([sys.executable, "-c", PROBE], cwd=ROOT, env=env, capture_output=True, text=True,
                          timeout=120, check=False)
    assert done.returncode == 0, done.stderr
    report = json.loads(done.stdout.strip().splitlines()[-1])
    assert {"routing.config", "routing.catalog", "routing.endpoints", "routing.errors"} <= set(report["imported"])
    assert report["django"] == []
