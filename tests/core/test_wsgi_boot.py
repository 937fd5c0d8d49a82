"""What a web worker does while it boots, before it accepts a connection."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def test_the_worker_loads_its_views_then_puts_them_out_of_the_collectors_sight():
    code = (
        "import gc, sys\n"
        "import okrkpi.wsgi\n"
        "assert 'objectives.api' in sys.modules, 'the URLconf was not imported at boot'\n"
        "frozen = gc.get_freeze_count()\n"
        "assert frozen > 20000, frozen\n"
        "print(frozen)\n"
    )
    env = {**os.environ, "DJANGO_SETTINGS_MODULE": "okrkpi.settings.test"}
    done = subprocess.run([sys.executable, "-c", code], cwd=ROOT, env=env, capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr[-2000:]
