"""How the emulator shares its machine between jobs: a memory budget, abortable simulations,
and a job queue in which small jobs never wait behind big ones.

* :class:`MemoryBudget`: each job reserves its estimated peak memory (statevector, spare
  buffer, probabilities, histogram) before it runs, and waits while the reservations of
  running jobs leave too little room. A job that could never fit is refused when it is
  submitted (HTTP 400, message starting with :data:`MEMORY_LIMIT_CODE`): no job is created,
  nothing waits. A job of a restarted store that no longer fits fails with that code. The
  default budget is half of the machine's RAM (``--max-memory``).
* :class:`Abort`: a running simulation polls :meth:`Abort.check` between gates; cancelling
  or deleting the job, stopping the emulator, or passing the job's time limit stops it.
* :class:`JobQueue`: two lanes. Jobs estimated as small go first, and one worker serves only
  small jobs, so a Bell job completes in milliseconds while big jobs occupy the others.
"""

from __future__ import annotations

import collections
import os
import re
import threading
import time
from typing import Callable, Deque, Optional

__all__ = [
    "MEMORY_LIMIT_CODE",
    "Abort",
    "Aborted",
    "JobQueue",
    "MemoryBudget",
    "default_memory_budget",
    "format_bytes",
    "parse_bytes",
]

MEMORY_LIMIT_CODE = "MemoryLimitExceeded"
SMALL_JOB_BYTES = 64 * 1024 * 1024  # jobs estimated below this (and SMALL_JOB_WORK) are "small"
SMALL_JOB_WORK = 1 << 26  # amplitude x gate updates


def default_memory_budget() -> int:
    """Half of the machine's physical memory (1 GiB when it cannot be read)."""
    try:
        total = os.sysconf("SC_PHYS_PAGES") * os.sysconf("SC_PAGE_SIZE")
    except (AttributeError, OSError, ValueError):
        return 1 << 30
    return max(1 << 28, int(total) // 2)


_SIZE = re.compile(r"\s*([0-9]+(?:\.[0-9]+)?)\s*([kmgt]?)(i?b?)\s*", re.IGNORECASE)


def parse_bytes(text: str) -> int:
    """``"8G"``, ``"512MiB"``, ``"1.5g"``, ``"1000000"`` -> bytes (powers of 1024).

    Raises:
        ValueError: not a positive size.
    """
    match = _SIZE.fullmatch(str(text))
    if not match:
        raise ValueError(f"not a size: {text!r}; use e.g. 8G, 512M or a number of bytes")
    value = float(match.group(1)) * 1024 ** " kmgt".index((match.group(2) or " ").lower())
    if not value >= 1:
        raise ValueError(f"a memory size must be positive, got {text!r}")
    return int(value)


def format_bytes(size: float) -> str:
    """``1536`` -> ``"1.5 KiB"``."""
    for unit in ("B", "KiB", "MiB", "GiB"):
        if abs(size) < 1024 or unit == "GiB":
            return f"{size:.1f} {unit}" if unit != "B" else f"{int(size)} B"
        size /= 1024
    return f"{size:.1f} GiB"  # pragma: no cover - loop returns


class Aborted(Exception):
    """The job was canceled or deleted, or the emulator stops: its result is not wanted."""


class Abort:
    """Stop flag and deadline of one running job, polled by the simulator.

    Args:
        deadline: ``time.monotonic()`` value after which :meth:`check` reports a timeout.
        timeout_error: builds the exception raised at the deadline (the simulator's
            ``JobFailure("SimulationTimeout", ...)``).
    """

    def __init__(
        self,
        deadline: Optional[float] = None,
        timeout_error: Optional[Callable[[], BaseException]] = None,
    ) -> None:
        self._event = threading.Event()
        self.deadline = deadline
        self._timeout_error = timeout_error

    def set(self) -> None:
        """Ask the simulation to stop at its next check."""
        self._event.set()

    @property
    def is_set(self) -> bool:
        """True once :meth:`set` was called."""
        return self._event.is_set()

    def wait(self, timeout: float) -> bool:
        """Sleep up to ``timeout`` seconds or until :meth:`set`; True if set."""
        return self._event.wait(timeout)

    def check(self) -> None:
        """Raise :class:`Aborted` when stopped, or the timeout error past the deadline."""
        if self._event.is_set():
            raise Aborted()
        if self.deadline is not None and time.monotonic() > self.deadline:
            if self._timeout_error is not None:
                raise self._timeout_error()
            raise Aborted()


class MemoryBudget:
    """Reservations of running jobs against a byte limit (thread-safe).

    Args:
        limit: bytes that running jobs may reserve together.
    """

    def __init__(self, limit: int) -> None:
        self.limit = int(limit)
        self.used = 0
        self.peak = 0
        self._cv = threading.Condition()

    def fits(self, amount: int) -> bool:
        """True when a job of ``amount`` bytes can ever run under this limit."""
        return amount <= self.limit

    def reserve(self, amount: int, abort: Optional[Abort] = None) -> bool:
        """Wait until ``amount`` bytes are free, then take them.

        Returns:
            True once reserved; False when ``abort`` was set while waiting.
        """
        amount = min(int(amount), self.limit)  # callers refuse larger jobs before this
        with self._cv:
            while self.used + amount > self.limit:
                if abort is not None and abort.is_set:
                    return False
                self._cv.wait(0.1)  # re-check the abort flag regularly
            self.used += amount
            self.peak = max(self.peak, self.used)
            return True

    def release(self, amount: int) -> None:
        """Give back a reservation."""
        with self._cv:
            self.used = max(0, self.used - min(int(amount), self.limit))
            self._cv.notify_all()


class JobQueue:
    """Two FIFO lanes (small, big) shared by the workers; worker 0 takes only small jobs
    (when there are several workers), the others prefer small ones."""

    def __init__(self) -> None:
        self._small: Deque[str] = collections.deque()
        self._big: Deque[str] = collections.deque()
        self._cv = threading.Condition()
        self._closed = False

    def put(self, job_id: str, *, small: bool) -> None:
        """Queue a job."""
        with self._cv:
            (self._small if small else self._big).append(job_id)
            self._cv.notify_all()

    def get(self, *, small_only: bool) -> Optional[str]:
        """Next job id for a worker, or ``None`` once closed."""
        with self._cv:
            while not self._closed:
                if self._small:
                    return self._small.popleft()
                if self._big and not small_only:
                    return self._big.popleft()
                self._cv.wait()
            return None

    def close(self) -> None:
        """Wake every worker with ``None``."""
        with self._cv:
            self._closed = True
            self._cv.notify_all()

    def __len__(self) -> int:
        with self._cv:
            return len(self._small) + len(self._big)
