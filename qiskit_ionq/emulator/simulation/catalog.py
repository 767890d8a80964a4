"""Static facts the emulator serves: the backend list and QPU characterizations.

docs/reference/ionq-api.md §§2.9-2.11 and 3.7. Numbers are plausible per-system values (public IonQ
figures, rounded); they exist so that clients can size backends and build calibration
objects, not to model any particular day. Characterization ids are deterministic (UUID v5 of
backend and date) so that a restarted emulator serves the same ids.
"""

from __future__ import annotations

import time
import uuid
from datetime import datetime, timezone
from functools import cache
from itertools import combinations
from typing import Any, Dict, List, Optional, Tuple

# Qubits per target (§3.7): ideal simulator 29, Harmony 11, Aria 25, Forte 36.
TARGET_QUBITS: Dict[str, int] = {
    "simulator": 29,
    "qpu.harmony": 11,
    "qpu.aria-1": 25,
    "qpu.aria-2": 25,
    "qpu.forte-1": 36,
    "qpu.forte-enterprise-1": 36,
    # A ZZ-native system with restricted connectivity (a ring), which no static client table
    # knows: it exercises "backends come from the API" and coupling-map routing end to end.
    "qpu.tempo-1": 12,
}
#: Systems whose 2-qubit gates work only on these pairs (others are all-to-all).
RESTRICTED: Dict[str, List[List[int]]] = {
    "qpu.tempo-1": [sorted((q, (q + 1) % 12)) for q in range(12)],
}
# Targets accepted on POST /jobs: the listed backends plus bare "qpu", which qiskit >= 0.5.5
# and Cirq send (§8.12). We treat it as "any QPU" and do not list it as a backend.
JOB_TARGETS = frozenset({*TARGET_QUBITS, "qpu"})

# Average queue times (ms, §8.13: the sample values only make sense as milliseconds).
_QUEUE_MS = {
    "simulator": 0,
    "qpu.harmony": 722_980_302,
    "qpu.aria-1": 1_181_215,
    "qpu.aria-2": 3_600_000,
    "qpu.forte-1": 86_400_000,
    "qpu.forte-enterprise-1": 7_200_000,
    "qpu.tempo-1": 3_600_000,
}

# (1q fidelity, 2q fidelity, SPAM mean, SPAM stderr, SPAM median) and timings in seconds
# (t1, t2, 1q, 2q, readout, reset) per system family.
_FAMILY: Dict[str, Tuple[Tuple[float, ...], Dict[str, float]]] = {
    "harmony": (
        (0.9972, 0.9615, 0.9948, 0.0012, 0.9955),
        {"t1": 10000, "t2": 0.2, "1q": 1e-5, "2q": 2e-4, "readout": 1.3e-4, "reset": 2e-5},
    ),
    "aria": (
        (0.9995, 0.9868, 0.9939, 0.0007, 0.9945),
        {"t1": 100, "t2": 1, "1q": 1.35e-4, "2q": 6e-4, "readout": 3e-4, "reset": 2e-5},
    ),
    "forte": (
        (0.9998, 0.9940, 0.9962, 0.0005, 0.9968),
        {"t1": 100, "t2": 1, "1q": 1.3e-4, "2q": 9.7e-4, "readout": 1.5e-4, "reset": 5e-5},
    ),
    "tempo": (
        (0.9999, 0.9960, 0.9970, 0.0004, 0.9975),
        {"t1": 100, "t2": 1, "1q": 1.2e-4, "2q": 9e-4, "readout": 1.5e-4, "reset": 5e-5},
    ),
}

HISTORY_DAYS = 30  # characterizations per QPU: one a day for the last 30 days
_NAMESPACE = uuid.UUID("5b0e1c2a-7d1e-4b7c-9a52-1a0f3e9e0b5d")


def _family(backend: str) -> str:
    return next(name for name in _FAMILY if name in backend)


@cache
def _all_pairs(qubits: int) -> List[List[int]]:
    """Every unordered qubit pair; shared by all characterizations (never mutated)."""
    return [list(pair) for pair in combinations(range(qubits), 2)]


class Catalog:
    """Backends and characterizations, computed once per emulator start.

    Args:
        now: epoch seconds used as "today" (defaults to the current time).
    """

    def __init__(self, now: Optional[float] = None) -> None:
        now = time.time() if now is None else now
        self.now = int(now)
        # Characterizations happen daily at midnight UTC: stable ids within a day.
        today = self.now - self.now % 86400
        self._by_id: Dict[str, Dict[str, Any]] = {}
        self._history: Dict[str, List[Dict[str, Any]]] = {}
        for backend in TARGET_QUBITS:
            if backend == "simulator":
                continue  # simulators have no characterization (§2.10)
            entries = [
                self._characterization(backend, today - day * 86400) for day in range(HISTORY_DAYS)
            ]  # newest first
            self._history[backend] = entries
            self._by_id.update((c["id"], c) for c in entries)

    @staticmethod
    def _characterization(backend: str, date: int) -> Dict[str, Any]:
        """Build one characterization object (§2.10 field list)."""
        (f1q, f2q, spam, spam_err, spam_median), timing = _FAMILY[_family(backend)]
        qubits = TARGET_QUBITS[backend]
        # Tiny day-to-day wobble so the history is not flat, deterministic per date.
        wobble = ((date // 86400) % 7 - 3) * 1e-4
        return {
            "id": str(uuid.uuid5(_NAMESPACE, f"{backend}@{date}")),
            "date": date,
            "backend": backend,
            "qubits": qubits,
            # Trapped ions are all-to-all: every unordered pair can host a 2-qubit gate
            # (except on the restricted systems).
            "connectivity": RESTRICTED.get(backend) or _all_pairs(qubits),
            "fidelity": {
                "1q": {"mean": f1q},
                "2q": {"mean": round(f2q + wobble, 6)},
                "spam": {"mean": spam, "stderr": spam_err, "median": spam_median},
            },
            "timing": dict(timing),
        }

    def backends(self) -> List[Dict[str, Any]]:
        """``GET /backends``: a bare array of backend entries (§2.9)."""
        entries = []
        for backend, qubits in TARGET_QUBITS.items():
            entry: Dict[str, Any] = {
                "backend": backend,
                "status": "available",
                "qubits": qubits,
                "average_queue_time": _QUEUE_MS[backend],
                "last_updated": self.now,
                "degraded": False,
            }
            if backend in self._history:
                # Written without the version prefix, as the real API does (§1.1).
                entry["characterization_url"] = (
                    f"/characterizations/{self._history[backend][0]['id']}"
                )
            entries.append(entry)
        return entries

    def current(self, backend: str) -> Optional[Dict[str, Any]]:
        """Latest characterization of ``backend``, or ``None`` for unknown/simulator."""
        history = self._history.get(backend)
        return history[0] if history else None

    def by_id(self, characterization_id: str) -> Optional[Dict[str, Any]]:
        """One characterization by id, or ``None``."""
        return self._by_id.get(characterization_id)

    def history(
        self,
        backend: str,
        *,
        start_ms: Optional[int] = None,
        end_ms: Optional[int] = None,
        limit: int = 10,
        page: int = 1,
    ) -> Optional[Dict[str, Any]]:
        """``GET /characterizations/backends/{backend}``: a page of the history, newest first.

        Args:
            backend: QPU name.
            start_ms: earliest date, epoch milliseconds (§2.10 uses ms here).
            end_ms: latest date, epoch milliseconds.
            limit: page size, 1-10.
            page: 1-based page number.

        Returns:
            ``{"characterizations": [...], "pages": <pages after this one>}`` (ionq-api.md
            §2.10 describes ``pages`` as the remaining pages), or ``None`` for an unknown backend.
        """
        history = self._history.get(backend)
        if history is None:
            return None
        selected = [
            c
            for c in history
            if (start_ms is None or c["date"] * 1000 >= start_ms)
            and (end_ms is None or c["date"] * 1000 <= end_ms)
        ]
        total_pages = -(-len(selected) // limit)
        chunk = selected[(page - 1) * limit : page * limit]
        return {"characterizations": chunk, "pages": max(0, total_pages - page)}

    def legacy_calibration(self, backend: str = "qpu.aria-1") -> Dict[str, Any]:
        """``GET /calibrations/current`` in the old v0.1 shape Cirq still reads (§2.11).

        Uses ``target`` instead of ``backend`` and an ISO-8601 ``date``.
        """
        current = self._history[backend][0]
        legacy = {k: v for k, v in current.items() if k not in ("backend", "date")}
        legacy["target"] = backend
        legacy["date"] = datetime.fromtimestamp(current["date"], tz=timezone.utc).isoformat()
        return legacy
