"""A single daemon thread that runs callbacks at given times (the job phase delays)."""

from __future__ import annotations

import heapq
import itertools
import logging
import threading
import time
from typing import Any, Callable, List, Tuple

log = logging.getLogger("qiskit_ionq.emulator.lifecycle")


class Timer:
    """One daemon thread running callbacks at given monotonic times (phase delays)."""

    def __init__(self) -> None:
        self._heap: List[Tuple[float, int, Callable[..., None], Tuple[Any, ...]]] = []
        self._cv = threading.Condition()
        self._count = itertools.count()
        self._stopped = False
        self._thread = threading.Thread(target=self._loop, name="ionq-emulator-timer", daemon=True)
        self._thread.start()

    def call_later(self, delay: float, fn: Callable[..., None], *args: Any) -> None:
        with self._cv:
            heapq.heappush(self._heap, (time.monotonic() + delay, next(self._count), fn, args))
            self._cv.notify()

    def stop(self) -> None:
        with self._cv:
            self._stopped = True
            self._cv.notify()

    def _loop(self) -> None:
        while True:
            with self._cv:
                while not self._stopped:
                    wait = self._heap[0][0] - time.monotonic() if self._heap else None
                    if wait is not None and wait <= 0:
                        break
                    self._cv.wait(wait)
                if self._stopped:
                    return
                _, _, fn, args = heapq.heappop(self._heap)
            try:
                fn(*args)
            except Exception:  # a callback bug must not kill the timer
                log.exception("emulator timer callback failed")
