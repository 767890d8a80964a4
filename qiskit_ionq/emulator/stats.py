"""Request and job counters of the emulator (``GET /_emulator/stats``)."""

from __future__ import annotations

import threading
from typing import Any, Dict

from .store import Record


class Stats:
    """Request and job counters behind ``GET /_emulator/stats`` and ``IonQEmulator.stats()``.

    The duplicate detector counts created jobs per ``metadata.qiskit_ionq_submission_id``:
    our client tags every submission with a unique id, so two jobs with the same id are one
    submission created twice (docs/reference/ionq-api.md §7.5). Counters live in memory and restart
    from zero with the process or on reset.
    """

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self.reset()

    def reset(self) -> None:
        """Zero every counter."""
        with self._lock:
            self._requests: Dict[str, Dict[str, int]] = {}
            self._jobs_created = 0
            self._submissions: Dict[str, int] = {}

    def request(self, route: str, status: int | str) -> None:
        """Count one answered request (``status`` may be ``"reset"``)."""
        with self._lock:
            per_status = self._requests.setdefault(route, {})
            per_status[str(status)] = per_status.get(str(status), 0) + 1

    def job_created(self, record: Record) -> None:
        """Count a created job and its submission id."""
        with self._lock:
            self._jobs_created += 1
            sid = record.get("submission_id")
            if isinstance(sid, str):
                self._submissions[sid] = self._submissions.get(sid, 0) + 1

    def snapshot(self) -> Dict[str, Any]:
        """Return a JSON-ready copy of the counters."""
        with self._lock:
            duplicates = {sid: n for sid, n in self._submissions.items() if n > 1}
            return {
                "requests": {route: dict(codes) for route, codes in self._requests.items()},
                "requests_total": sum(sum(c.values()) for c in self._requests.values()),
                "jobs_created": self._jobs_created,
                "submission_ids": len(self._submissions),
                "duplicates": duplicates,
                "duplicate_jobs": sum(n - 1 for n in duplicates.values()),
            }
