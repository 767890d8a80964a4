"""The backends IonQ's API lists, cached per client, with the static table as the offline fallback.

Why this module exists: a QPU IonQ adds after a release (``qpu.tempo-1``,
``qpu.forte-enterprise-2``...) must work without a new release. ``GET /backends`` (public,
both API versions; https://docs.ionq.com/api-reference/v0.4/backends/get-backends) says
which systems exist, their status and qubit count, and on v0.4 their native gates; the
system's current characterization says which qubit pairs can host a two-qubit gate. This
module is the one source the provider and the backends ask:

* :meth:`Catalogue.names` -- every backend the API lists (plus ours), for ``provider.backends()``;
* :meth:`Catalogue.describe` -- qubits, native two-qubit gate (``"ms"`` or ``"zz"``),
  restricted connectivity (a coupling map) and status (``retired`` shown as such);
* :meth:`Catalogue.check_name` -- a clear error listing the known names for a name the API
  does not know (only when the API could be asked: offline, any ``qpu.<name>`` is accepted).

Caching: the list is read once and kept for ``ttl`` seconds (refreshed lazily on the next
question after that); a failed read is remembered for ``retry_after_failure`` seconds so
an offline notebook does not pay a timeout per backend. Characterizations are cached the
same way, per system. Everything is thread-safe (one lock; reads outside it).
"""

from __future__ import annotations

import threading
import time
from dataclasses import dataclass
from typing import Any, Callable, Dict, List, Optional, Sequence, Tuple

from ..constants import TARGET_QUBITS
from ..exceptions import IonQError

__all__ = ["BackendFacts", "Catalogue", "UnknownBackendError", "api_name"]

#: Name prefixes of the ZZ-native system families (the rule when the API does not say).
ZZ_FAMILIES = ("qpu.forte", "qpu.tempo")
#: Seconds a backend list (or characterization) is trusted before it is read again.
DEFAULT_TTL = 300.0
#: Seconds after a failed read before the API is asked again (the static table answers).
RETRY_AFTER_FAILURE = 30.0


class UnknownBackendError(IonQError, LookupError):
    """The API's catalogue does not list a backend of that name (``known`` lists those it does)."""

    def __init__(self, message: str, known: Sequence[str] = ()) -> None:
        super().__init__(message)
        self.known = list(known)


@dataclass(frozen=True)
class BackendFacts:
    """What the catalogue knows of one backend.

    Attributes:
        name: the API's name (``simulator``, ``qpu.forte-1``).
        qubits: qubit count.
        native_2q: the native two-qubit gate, ``"ms"`` or ``"zz"``; ``None`` for the
            simulator (it takes both).
        coupling: unordered qubit pairs that can host a two-qubit gate, when the system's
            characterization lists fewer than all pairs; ``None`` means all-to-all.
        status: the API's status (``available``, ``unavailable``, ``retired``...), or
            ``None`` when not listed or not asked.
        source: ``"api"`` (from ``GET /backends``) or ``"static"`` (our table).
    """

    name: str
    qubits: int
    native_2q: Optional[str]
    coupling: Optional[Tuple[Tuple[int, int], ...]]
    status: Optional[str]
    source: str

    @property
    def retired(self) -> bool:
        """True when IonQ has retired the system (it is listed, but cannot run jobs)."""
        return self.status == "retired"

    @property
    def available(self) -> bool:
        """True when the API says ``available`` (or was not asked)."""
        return self.status in (None, "available")


def api_name(name: str) -> str:
    """The API's name of a backend: ``ionq_qpu.aria-1`` -> ``qpu.aria-1``."""
    text = str(name).strip()
    return text[len("ionq_") :] if text.startswith("ionq_") else text


def static_native_2q(target: str) -> Optional[str]:
    """The static rule (no API data): Forte- and Tempo-class systems are ZZ-native, other
    QPUs MS."""
    if target == "simulator":
        return None
    return "zz" if target.startswith(ZZ_FAMILIES) else "ms"


def _native_2q(view: Dict[str, Any], target: str) -> Optional[str]:
    gates = view.get("native_gates")
    if target == "simulator":
        return None
    if isinstance(gates, list):
        if "zz" in gates and "ms" not in gates:
            return "zz"
        if "ms" in gates:
            return "ms"
    return static_native_2q(target)


def restricted_pairs(connectivity: Any, qubits: int) -> Optional[Tuple[Tuple[int, int], ...]]:
    """The unordered pairs of a characterization's ``connectivity``, when they are a strict
    subset of all pairs of ``qubits`` qubits; ``None`` for all-to-all (or unusable data)."""
    if not isinstance(connectivity, list) or qubits < 2:
        return None
    pairs = set()
    for pair in connectivity:
        if not isinstance(pair, (list, tuple)) or len(pair) != 2:
            return None
        a, b = pair
        if isinstance(a, bool) or isinstance(b, bool) or not isinstance(a, int):
            return None
        if not isinstance(b, int) or a == b or not (0 <= a < qubits and 0 <= b < qubits):
            return None
        pairs.add((min(a, b), max(a, b)))
    if not pairs or len(pairs) >= qubits * (qubits - 1) // 2:
        return None
    return tuple(sorted(pairs))


class _Cached:
    """One cached value with its expiry (``value`` ``None`` + expiry: a remembered failure)."""

    __slots__ = ("value", "expires")

    def __init__(self, value: Any, expires: float) -> None:
        self.value, self.expires = value, expires


class Catalogue:
    """The backends of one client's API (see the module docstring).

    Args:
        client: anything with ``get_backends()`` (backend views) and
            ``get_calibration_data(name)`` -- an :class:`~qiskit_ionq.ionq_client.IonQClient`.
        ttl: seconds a read is trusted.
        retry_after_failure: seconds a failed read is remembered.
        clock: monotonic clock (tests inject one).
    """

    def __init__(
        self,
        client: Any,
        *,
        ttl: float = DEFAULT_TTL,
        retry_after_failure: float = RETRY_AFTER_FAILURE,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self._client = client
        self._ttl = float(ttl)
        self._retry = float(retry_after_failure)
        self._clock = clock
        self._lock = threading.Lock()
        self._list: Optional[_Cached] = None
        self._chars: Dict[str, _Cached] = {}

    # -- reads ------------------------------------------------------------------------------
    def _fresh(self, cached: Optional[_Cached]) -> bool:
        return cached is not None and self._clock() < cached.expires

    def entries(self) -> Optional[List[Dict[str, Any]]]:
        """The API's backend views, or ``None`` when the API could not be asked."""
        with self._lock:
            cached = self._list
        if self._fresh(cached):
            return cached.value  # type: ignore[union-attr]
        try:
            value: Optional[List[Dict[str, Any]]] = list(self._client.get_backends())
            expires = self._clock() + self._ttl
        except IonQError:
            value, expires = None, self._clock() + self._retry
        with self._lock:
            self._list = _Cached(value, expires)
        return value

    def entry(self, name: str) -> Optional[Dict[str, Any]]:
        """The API's view of one backend (``None``: not listed, or the API not reachable)."""
        target = api_name(name)
        for view in self.entries() or ():
            if view.get("backend") == target:
                return view
        return None

    def _characterization(self, target: str) -> Optional[Dict[str, Any]]:
        with self._lock:
            cached = self._chars.get(target)
        if self._fresh(cached):
            return cached.value  # type: ignore[union-attr]
        try:
            value = self._client.get_calibration_data(target)
            expires = self._clock() + self._ttl
        except IonQError:
            value, expires = None, self._clock() + self._retry
        with self._lock:
            self._chars[target] = _Cached(value, expires)
        return value if isinstance(value, dict) else None

    def invalidate(self) -> None:
        """Forget everything read (the next question asks the API again)."""
        with self._lock:
            self._list = None
            self._chars.clear()

    # -- questions ----------------------------------------------------------------------------
    def names(self) -> List[str]:
        """``ionq_`` names of every backend: ours, then any other the API lists."""
        ours = ["simulator", "qpu"] + sorted(t for t in TARGET_QUBITS if t.startswith("qpu."))
        listed = [str(v["backend"]) for v in self.entries() or ()]
        extra = sorted(t for t in listed if t not in ours and t != "qpu.qpu")
        return [f"ionq_{t}" for t in ours + extra]

    def check_name(self, name: str) -> None:
        """Raise :class:`UnknownBackendError` for a QPU the reachable API does not list.

        Names of our static table, the simulator and the bare ``qpu`` always pass, and so does
        any name when the API cannot be asked (it then judges the job itself).
        """
        target = api_name(name)
        if target in TARGET_QUBITS or target in ("simulator", "qpu"):
            return
        listed = self.entries()
        if listed is None or any(v.get("backend") == target for v in listed):
            return
        known = self.names()
        raise UnknownBackendError(
            f"IonQ's API lists no backend named {target!r} (asked as {name!r}). Backends it "
            f"knows: {', '.join(known)}.",
            known,
        )

    def describe(self, name: str, *, connectivity: bool = True) -> BackendFacts:
        """Everything known of one backend (API first, then the static table).

        Args:
            name: ``ionq_qpu.forte-1``, ``qpu.forte-1`` or ``simulator``.
            connectivity: also read the system's characterization for a restricted coupling
                map (one cached public request per QPU).
        """
        target = api_name(name)
        view = self.entry(target)
        fallback = TARGET_QUBITS.get(target, TARGET_QUBITS["qpu"])
        if view is None:
            qubits, status, source = fallback, None, "static"
            native = static_native_2q(target)
        else:
            listed = view.get("qubits")
            ok = isinstance(listed, int) and not isinstance(listed, bool) and listed > 0
            qubits = listed if ok and isinstance(listed, int) else fallback
            status = str(view["status"]) if view.get("status") is not None else None
            native, source = _native_2q(view, target), "api"
        coupling = None
        if connectivity and target.startswith("qpu.") and view is not None and status != "retired":
            found = self._characterization(target)
            if found is not None:
                coupling = restricted_pairs(found.get("connectivity"), qubits)
        return BackendFacts(target, qubits, native, coupling, status, source)
