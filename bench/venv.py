"""The benchmark's own virtualenv: the product plus faststream, which the product never depends on.

Created on first use under ``.cache/bench-venv`` with the product's pins (``constraints.txt``),
so faststream runs on the same confluent-kafka, pydantic and uvloop as ``flexmit worker``.
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

FASTSTREAM = "faststream[confluent]==0.7.8"
HOME = Path(".cache/bench-venv")
_STAMP = HOME / f".installed-{FASTSTREAM.replace('[', '-').replace(']', '').replace('==', '-')}"


def python() -> Path:
    """The bench venv's interpreter, creating the venv if needed."""
    interpreter = HOME / "bin" / "python"
    if not _STAMP.exists():
        print(f"creating {HOME} with {FASTSTREAM} (once)", file=sys.stderr, flush=True)
        subprocess.run([sys.executable, "-m", "venv", str(HOME)], check=True)
        pip = [str(interpreter), "-m", "pip", "install", "-q", "--disable-pip-version-check"]
        subprocess.run([*pip, "-c", "constraints.txt", "-e", ".", FASTSTREAM], check=True)
        _STAMP.touch()
    return interpreter.absolute()
