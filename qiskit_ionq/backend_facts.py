"""What the IonQ API says of a backend, read for the backend classes; never an error.

A backend is described from our static table (:mod:`qiskit_ionq.backend_config`) when it
can be, and from the API's catalogue (``GET /backends``, cached per client by
:mod:`qiskit_ionq.api.catalogue`) when it is a system this release does not know: its qubit
count, native two-qubit gate and restricted connectivity. ``backend.status()`` reads the
same listing. Every lookup here treats "the API cannot be asked" (no network, an unusable
URL) as "unknown" and returns ``None``: callers have a fallback, and building a backend
object must not fail because a probe did.

Kept apart from :mod:`qiskit_ionq.ionq_backend` so that the backend classes stay about the
Qiskit-facing behaviour, and the rules for finding a backend's description read in one
place. Requests go through the provider's client only (this module imports no HTTP library).
"""

from __future__ import annotations

from typing import Any, Dict, List, Optional

from .backend_config import backend_configuration
from .constants import TARGET_QUBITS, get_n_qubits
from .exceptions import IonQError

__all__ = [
    "DESCRIPTION_KEYWORDS",
    "api_backends",
    "api_entry",
    "catalogue_of",
    "described_configuration",
    "facts_of",
    "qubits_of",
]

# Keyword fields of the Qiskit-2 style constructor that describe the backend (the rest of the
# keywords are initial run options).
DESCRIPTION_KEYWORDS = (
    "description",
    "num_qubits",
    "simulator",
    "backend_version",
    "max_shots",
    "max_experiments",
)


def described_configuration(
    name: str, gateset: str, provider: Any, described: Dict[str, Any], is_simulator: bool
) -> Any:
    """The configuration of backend ``name`` from the constructor's describing keywords
    (:data:`DESCRIPTION_KEYWORDS`); a QPU of unknown width is described by the API."""
    simulator = bool(described.get("simulator", is_simulator))
    num_qubits = described.get("num_qubits")
    facts = None
    if num_qubits is None:
        facts = None if simulator else facts_of(name, provider)
        num_qubits = facts.qubits if facts is not None else qubits_of(name, provider)
    return backend_configuration(
        name,
        gateset,
        simulator=simulator,
        facts=facts,
        n_qubits=int(num_qubits),
        description=described.get("description"),
        backend_version=described.get("backend_version", "0.0.1"),
        max_shots=described.get("max_shots"),
        max_experiments=described.get("max_experiments"),
    )


def api_entry(provider: Any, target: str) -> Optional[Dict[str, Any]]:
    """The ``GET /backends`` entry of API target ``target``; ``None`` if unlisted or
    unreachable (``ionq_qpu``, target ``qpu``, takes the first QPU listed).

    ``GET /backends`` needs no token, so this works without credentials.
    """
    entries = api_backends(provider)
    if entries is None:
        return None
    entry = next((e for e in entries if e.get("backend") == target), None)
    if entry is None and target == "qpu":
        entry = next((e for e in entries if str(e.get("backend", "")).startswith("qpu")), None)
    return entry


def api_backends(provider: Any) -> Optional[List[Dict[str, Any]]]:
    """``GET /backends`` through the provider's client, or ``None`` when it cannot be asked.

    No token is needed for this route; any failure (no network, an unusable URL) means
    "unknown", never an error: callers have a fallback.
    """
    catalogue = catalogue_of(provider)
    entries = None if catalogue is None else catalogue.entries()
    return None if entries is None else [e for e in entries if isinstance(e, dict)]


def catalogue_of(provider: Any) -> Any:
    """The provider's client's :class:`~qiskit_ionq.api.catalogue.Catalogue` (cached
    ``GET /backends``), or ``None`` when no client can be made for its URL."""
    client = getattr(provider, "client", None) if provider is not None else None
    try:
        if client is None:
            from .ionq_client import IonQClient

            creds = getattr(provider, "credentials", None) or {}
            client = IonQClient(None, creds.get("url"))
        return getattr(client, "catalogue", None)
    except IonQError:
        return None


def facts_of(name: str, provider: Any) -> Any:
    """What the API's catalogue says of a QPU this release does not know (qubits, native
    gate, restricted connectivity); ``None`` for systems of our static table."""
    target = name[len("ionq_") :] if name.startswith("ionq_") else name
    if target in TARGET_QUBITS or not target.startswith("qpu."):
        return None
    catalogue = catalogue_of(provider)
    if catalogue is None or catalogue.entry(target) is None:
        return None  # unlisted or unreachable: the static defaults apply
    return catalogue.describe(target)


def qubits_of(name: str, provider: Any) -> int:
    """Qubits of backend ``name``: known targets from our table; others from the API.

    A QPU IonQ adds after this release is asked from ``GET /backends``; when the API cannot
    be asked (or does not list it) the fallback of :func:`qiskit_ionq.helpers.get_n_qubits`
    applies, and the API still refuses a circuit that does not fit.
    """
    target = name[len("ionq_") :] if name.startswith("ionq_") else name
    if target in TARGET_QUBITS:
        return TARGET_QUBITS[target]
    for entry in api_backends(provider) or []:
        qubits = entry.get("qubits")
        if entry.get("backend") == target and isinstance(qubits, int) and qubits > 0:
            return qubits
    return get_n_qubits(name)
