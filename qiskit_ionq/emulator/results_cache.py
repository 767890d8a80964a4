"""Encoded ``/results`` bodies of completed jobs, made once and shared.

A completed job's results never change, and a dense 20-qubit histogram is ~33 MB of JSON.
Clients poll, retry, and ask for both aggregations, so the server keeps each body it wrote
(per job id and ``sharpen``):

* bodies up to ``file_threshold`` bytes stay in memory, least recently used out first, up to
  a byte budget (small bodies, under ``floor``, are cheaper to encode again than to keep);
* larger bodies are written once, a slice at a time, to a file in a private temporary
  directory and sent from there (``socket.sendfile``): a 24-qubit histogram (~0.5 GB of
  JSON) never sits in memory, and writing it lets other requests run between slices.

Concurrent requests for the same large body wait for the first encoding instead of starting
their own. Files go with their job (delete, reset) and with the emulator (:meth:`close`).
"""

from __future__ import annotations

import os
import shutil
import tempfile
import threading
from collections import OrderedDict
from dataclasses import dataclass
from typing import Any, Dict, List, Optional, Tuple, Union

from .jobs import encode_results
from .simulation.histogram import iter_results_json, results_json_size_hint

__all__ = [
    "EncodedResults",
    "FileBody",
    "RESULTS_CACHE_BYTES",
    "RESULTS_CACHE_FLOOR",
    "RESULTS_FILE_THRESHOLD",
]

RESULTS_CACHE_BYTES = 256 * 1024 * 1024
RESULTS_CACHE_FLOOR = 4096
RESULTS_FILE_THRESHOLD = 16 * 1024 * 1024  # estimated JSON size from which bodies go to a file
Key = Tuple[str, Union[bool, str]]  # (job id, sharpen or an aggregation's name)


@dataclass(frozen=True)
class FileBody:
    """A response body kept in a file: its path and exact size in bytes."""

    path: str
    size: int


Body = Union[bytes, FileBody]


class EncodedResults:
    """Thread-safe cache of encoded results bodies (see the module docstring).

    Args:
        max_bytes: total size kept in memory.
        floor: bodies shorter than this are not kept.
        file_threshold: estimated size from which a body is written to a file instead.
    """

    def __init__(
        self,
        max_bytes: int = RESULTS_CACHE_BYTES,
        floor: int = RESULTS_CACHE_FLOOR,
        file_threshold: int = RESULTS_FILE_THRESHOLD,
    ):
        self.max_bytes = max_bytes
        self.floor = floor
        self.file_threshold = file_threshold
        self._bodies: OrderedDict[Key, bytes] = OrderedDict()
        self._files: Dict[Key, FileBody] = {}
        self._bytes = 0
        self._lock = threading.Lock()
        self._encoding: Dict[Key, threading.Event] = {}  # encodes in progress
        self._dir: Optional[str] = None

    def keys(self) -> List[Key]:
        """The keys of the kept bodies (in memory, least recently used first, then files)."""
        with self._lock:
            return list(self._bodies) + list(self._files)

    @property
    def nbytes(self) -> int:
        """Total size of the bodies kept in memory."""
        return self._bytes

    @property
    def file_bytes(self) -> int:
        """Total size of the bodies kept in files."""
        with self._lock:
            return sum(f.size for f in self._files.values())

    def get(self, key: Key, source: Any) -> Body:
        """The JSON body of ``source``, encoded once per key: later (and concurrent)
        requests for a large body reuse the first encoding."""
        hint = results_json_size_hint(source)
        large = hint >= self.floor
        mine: Optional[threading.Event] = None
        for _ in range(2):
            with self._lock:
                found: Optional[Body] = self._bodies.get(key) or self._files.get(key)
                if found is not None:
                    if key in self._bodies:
                        self._bodies.move_to_end(key)
                    return found
                pending = self._encoding.get(key)
                if pending is None and large:
                    mine = self._encoding[key] = threading.Event()
            if pending is None:
                break
            pending.wait()  # another request encodes this very body; then look again
        try:
            if hint >= self.file_threshold:
                return self._to_file(key, source)
            body = encode_results(source)
            if self.floor <= len(body) <= self.max_bytes:
                with self._lock:
                    if key not in self._bodies:
                        self._bodies[key] = body
                        self._bytes += len(body)
                    while self._bytes > self.max_bytes:
                        self._bytes -= len(self._bodies.popitem(last=False)[1])
            return body
        finally:
            if mine is not None:  # stored first, so that waiters find it
                with self._lock:
                    if self._encoding.get(key) is mine:
                        del self._encoding[key]
                mine.set()

    def _to_file(self, key: Key, source: Any) -> FileBody:
        with self._lock:
            if self._dir is None:
                self._dir = tempfile.mkdtemp(prefix="qiskit-ionq-emulator-results-")
            directory = self._dir
        fd, path = tempfile.mkstemp(dir=directory, suffix=".json")
        size = 0
        try:
            with os.fdopen(fd, "wb") as handle:
                for piece in iter_results_json(source):
                    handle.write(piece)
                    size += len(piece)
        except BaseException:
            os.unlink(path)
            raise
        body = FileBody(path, size)
        with self._lock:
            self._files[key] = body
        return body

    def forget(self, job_ids: Optional[List[str]] = None) -> None:
        """Drop the bodies of ``job_ids`` (all when ``None``)."""
        with self._lock:
            if job_ids is None:
                keys = list(self._bodies) + list(self._files)
            else:
                keys = [(j, s) for j in job_ids for s in (False, True)]
            doomed = []
            for key in keys:
                body = self._bodies.pop(key, None)
                if body is not None:
                    self._bytes -= len(body)
                file = self._files.pop(key, None)
                if file is not None:
                    doomed.append(file.path)
        for path in doomed:
            try:
                os.unlink(path)  # a download in progress keeps reading its open file
            except OSError:
                pass

    def close(self) -> None:
        """Drop everything and remove the temporary directory."""
        self.forget()
        with self._lock:
            directory, self._dir = self._dir, None
        if directory is not None:
            shutil.rmtree(directory, ignore_errors=True)
