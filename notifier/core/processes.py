"""Which process runs a piece of work, and whether it is still alive: a letter chunk or a patient import left
"running" by a process killed with -9 is recognised at once on this machine, without waiting for a timeout."""

import os
import socket


def _start_time(pid: int) -> str | None:
    """The process's start time in clock ticks since boot (/proc/PID/stat field 22), None when it is gone or a
    zombie: with the pid it identifies a process even after the pid is reused."""
    try:
        with open(f"/proc/{pid}/stat", "rb") as stream:
            fields = stream.read().rsplit(b")", 1)[1].split()
    except (OSError, IndexError):
        return None
    if fields[0] in (b"Z", b"X"):
        return None
    return fields[19].decode()


def process_identity() -> str:
    return f"{socket.gethostname()}:{os.getpid()}:{_start_time(os.getpid()) or ''}"


def owner_alive(worker: str | None) -> bool | None:
    """True/False for a process of this machine; None when it runs elsewhere (a Celery worker on another host)."""
    if not worker:
        return False
    parts = worker.rsplit(":", 2)
    if len(parts) != 3 or not parts[1].isdigit():
        return False
    host, pid, started = parts
    if host != socket.gethostname():
        return None
    return _start_time(int(pid)) == started and bool(started)
