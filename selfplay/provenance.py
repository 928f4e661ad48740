"""How to repeat a run: the part of a run record (``config.json``, ``league.json``)
that names the software and the command behind it.

``run_record()`` gives the package versions, the platform, the source revision
(when selfplay runs from a git checkout), the command line and, when the CLI
started the run, every option as resolved from flags, ``--config`` file and
defaults, with one command line that repeats them (``repeat``). The CLI wraps a
run in ``invoked_as(...)``; library callers get ``sys.argv``.
"""

from __future__ import annotations

import os
import platform
import shlex
import subprocess
import sys
from contextlib import contextmanager
from contextvars import ContextVar
from importlib.metadata import PackageNotFoundError, version
from pathlib import Path
from typing import Any, Iterator, Mapping, Sequence

PACKAGES = ("selfplay", "torch", "numpy", "rlcard")  # and python: what changes a run's numbers
_invocation: ContextVar[dict | None] = ContextVar("selfplay_invocation", default=None)


def versions() -> dict[str, str | None]:
    """``{"python": "3.11.7", "selfplay": "0.1.0", "torch": ..., "numpy": ..., "rlcard": ...}``
    (installed versions, read without importing the packages; None: not installed)."""
    out: dict[str, str | None] = {"python": platform.python_version()}
    for name in PACKAGES:
        try:
            out[name] = version(name)
        except PackageNotFoundError:
            out[name] = None
    return out


def source_revision() -> dict | None:
    """``{"commit": sha, "dirty": bool}`` of the git checkout selfplay runs from; None outside one."""
    root = Path(__file__).resolve().parent.parent
    if not (root / ".git").exists():
        return None
    try:
        git = ["git", "-C", str(root)]
        commit = subprocess.run([*git, "rev-parse", "HEAD"], capture_output=True, text=True, timeout=5)
        changes = subprocess.run([*git, "status", "--porcelain", "--untracked-files=no"],
                                 capture_output=True, text=True, timeout=5)
    except (OSError, subprocess.SubprocessError):
        return None
    if commit.returncode != 0:
        return None
    return {"commit": commit.stdout.strip(), "dirty": bool(changes.stdout.strip()) if changes.returncode == 0 else None}


@contextmanager
def invoked_as(command: Sequence[str], options: Mapping[str, Any], repeat: str | None = None) -> Iterator[None]:
    """Within this block run records name ``command`` (the command line as typed),
    ``options`` (every option, resolved) and ``repeat`` (a command line that sets them all)."""
    token = _invocation.set({"command": list(command), "options": _jsonable(dict(options)), "repeat": repeat})
    try:
        yield
    finally:
        _invocation.reset(token)


def run_record() -> dict:
    """``{"versions", "platform", "source", "cwd", "command", "options", "repeat"}`` for a run record
    (``options`` and ``repeat`` only when the CLI started the run)."""
    invocation = _invocation.get() or {"command": [os.path.basename(sys.argv[0]), *sys.argv[1:]]}
    return {"versions": versions(), "platform": platform.platform(), "source": source_revision(),
            "cwd": os.getcwd(), **invocation}


def shell_line(words: Sequence[str]) -> str:
    """``words`` as one line a POSIX shell reads back as the same words."""
    return " ".join(shlex.quote(str(w)) for w in words)


def _jsonable(value: Any) -> Any:
    if isinstance(value, dict):
        return {str(k): _jsonable(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_jsonable(v) for v in value]
    if value is None or isinstance(value, (bool, int, float, str)):
        return value
    return str(value)
