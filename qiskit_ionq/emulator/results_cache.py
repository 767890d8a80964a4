"""Encoded ``/results`` bodies of completed jobs, made once and shared.

A completed job's results never change, and a dense 20-qubit histogram is ~33 MB of JSON
that takes the standard library about a second to write. Clients poll, retry, and ask for
both aggregations, so the server keeps each body it wrote (per job id and ``sharpen``),
least recently used out first, up to a byte budget; concurrent requests for the same large
body wait for the first encoding instead of starting their own. Small bodies are cheaper to
encode again than to keep.
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from typing import Any, Dict, List, Optional, Tuple

from .jobs import encode_results

__all__ = ["EncodedResults", "RESULTS_CACHE_BYTES", "RESULTS_CACHE_FLOOR"]

RESULTS_CACHE_BYTES = 256 * 1024 * 1024
RESULTS_CACHE_FLOOR = 4096
Key = Tuple[str, bool]  # (job id, sharpen)


class EncodedResults:
    """Thread-safe cache of encoded results bodies (see the module docstring).

    Args:
        max_bytes: total size kept.
        floor: bodies shorter than this are not kept.
    """

    def __init__(self, max_bytes: int = RESULTS_CACHE_BYTES, floor: int = RESULTS_CACHE_FLOOR):
        self.max_bytes = max_bytes
        self.floor = floor
        self._bodies: OrderedDict[Key, bytes] = OrderedDict()
        self._bytes = 0
        self._lock = threading.Lock()
        self._encoding: Dict[Key, threading.Event] = {}  # encodes in progress

    def keys(self) -> List[Key]:
        """The keys of the kept bodies, least recently used first."""
        with self._lock:
            return list(self._bodies)

    @property
    def nbytes(self) -> int:
        """Total size of the kept bodies."""
        return self._bytes

    def get(self, key: Key, source: Dict[str, Any]) -> bytes:
        """The JSON bytes of ``source``, encoded once per key: later (and concurrent)
        requests for a large body reuse the first encoding."""
        large = len(source) >= self.floor // 16  # cannot encode below the floor
        mine: Optional[threading.Event] = None
        for _ in range(2):
            with self._lock:
                body = self._bodies.get(key)
                if body is not None:
                    self._bodies.move_to_end(key)
                    return body
                pending = self._encoding.get(key)
                if pending is None and large:
                    mine = self._encoding[key] = threading.Event()
            if pending is None:
                break
            pending.wait()  # another request encodes this very body; then look again
        try:
            body = encode_results(source)
            if self.floor <= len(body) <= self.max_bytes:
                with self._lock:
                    if key not in self._bodies:
                        self._bodies[key] = body
                        self._bytes += len(body)
                    while self._bytes > self.max_bytes:
                        self._bytes -= len(self._bodies.popitem(last=False)[1])
        finally:
            if mine is not None:  # stored first, so that waiters find it
                with self._lock:
                    if self._encoding.get(key) is mine:
                        del self._encoding[key]
                mine.set()
        return body

    def forget(self, job_ids: Optional[List[str]] = None) -> None:
        """Drop the bodies of ``job_ids`` (all when ``None``)."""
        with self._lock:
            if job_ids is None:
                self._bodies.clear()
                self._bytes = 0
                return
            for job_id in job_ids:
                for key in ((job_id, False), (job_id, True)):
                    body = self._bodies.pop(key, None)
                    if body is not None:
                        self._bytes -= len(body)
