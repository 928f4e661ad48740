"""One writer per directory: an OS lock that the kernel drops when its holder dies.

Every command that writes a run directory (``selfplay train --out``) or a
league directory (``selfplay league run --dir``) holds ``exclusive(dir)``
for as long as it writes. The lock is ``fcntl.flock`` on ``DIR/.lock``, a
file that also names the holder (pid, host, start time, command), so a
second writer stops at once with one line::

    runs/lg is in use by pid 1234 since 12:03 (selfplay league run); wait for it or stop it

before it changes anything there. A process killed with ``kill -9`` leaves
no stale lock: the kernel releases it with the process's last open file.
Processes forked by the holder (actors, the league's evaluator) close their
inherited copy at once, so a holder that dies releases the directory even
while a child lingers. Readers (``league status``, ``league report``,
``tournament --league``, ``play --league``) never take the lock.
"""

from __future__ import annotations

import fcntl
import json
import os
import socket
import sys
import time
from contextlib import contextmanager
from pathlib import Path
from typing import Iterator

LOCK_FILE = ".lock"
_held: dict[str, int] = {}  # directory -> fd of the locks this process holds


class DirectoryInUse(RuntimeError):
    """Another live process holds the directory; the message is one line naming it."""


def _close_in_child() -> None:
    for fd in _held.values():
        try:
            os.close(fd)
        except OSError:
            pass
    _held.clear()


os.register_at_fork(after_in_child=_close_in_child)


def holder(directory: str | os.PathLike) -> dict | None:
    """What the lock file says of its last holder (pid, host, started, command), or None."""
    try:
        return json.loads((Path(directory) / LOCK_FILE).read_text() or "null")
    except (OSError, ValueError):
        return None


def _busy_message(directory: str | os.PathLike) -> str:
    info = holder(directory) or {}
    since = time.strftime("%H:%M", time.localtime(info["started"])) if "started" in info else "?"
    host = f" on {info['host']}" if info.get("host") and info["host"] != socket.gethostname() else ""
    return (f"{directory} is in use by pid {info.get('pid', '?')}{host} since {since} "
            f"({info.get('command', 'another selfplay command')}); wait for it or stop it")


def command_line() -> str:
    """``selfplay league run``: the program and its subcommand words, for the lock file."""
    words = [os.path.basename(sys.argv[0]) if sys.argv and sys.argv[0] else "python"]
    for word in sys.argv[1:3]:
        if word.startswith("-"):
            break
        words.append(word)
    return " ".join(words)


@contextmanager
def exclusive(directory: str | os.PathLike, command: str | None = None) -> Iterator[Path]:
    """Hold ``directory`` (made if missing) for writing; ``DirectoryInUse`` if another process
    holds it. Re-entrant within one process (a league run's learner locks its own run folder)."""
    root = Path(directory)
    key = str(root.resolve())
    if key in _held:
        yield root
        return
    root.mkdir(parents=True, exist_ok=True)
    fd = os.open(root / LOCK_FILE, os.O_RDWR | os.O_CREAT | os.O_CLOEXEC, 0o644)  # no truncation before we hold it
    try:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        os.close(fd)
        raise DirectoryInUse(_busy_message(directory)) from None
    info = {"pid": os.getpid(), "host": socket.gethostname(), "started": time.time(),
            "command": command or command_line()}
    os.ftruncate(fd, 0)
    os.pwrite(fd, (json.dumps(info) + "\n").encode(), 0)
    _held[key] = fd
    try:
        yield root
    finally:
        _held.pop(key, None)
        os.close(fd)
