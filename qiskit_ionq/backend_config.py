"""Static backend descriptions: gatesets, basis gates, native-gate tables, configurations
and the Qiskit ``Target`` built from a configuration.

Data and small pure functions only (no requests, no Qiskit backend objects), kept apart from
:mod:`qiskit_ionq.ionq_backend` so the backend classes stay about behaviour.
"""

from __future__ import annotations

import datetime as _dt
from typing import Any, Dict, List, Optional, Sequence

from qiskit.circuit import Reset
from qiskit.circuit import library as lib

from . import _qiskit_compat as compat
from .constants import MAX_SHOTS, TARGET_QUBITS
from .ionq_gates import GPI2Gate, GPIGate, MSGate, ZZGate
from .version import __version__

__all__ = [
    "GATESET_MAP",
    "QPU_MAX_SHOTS",
    "Calibration",
    "backend_configuration",
    "backend_target",
    "native_family",
    "target_instructions",
]

QPU_MAX_SHOTS = 10_000  # what IonQ advertises for its QPUs; guards a billed typo

# Basis gates per gateset, as Qiskit instruction names (what ``transpile`` targets).
GATESET_MAP: Dict[str, List[str]] = {
    "qis": [
        "ccx",
        "ch",
        "cp",
        "crx",
        "cry",
        "crz",
        "csx",
        "cx",
        "cy",
        "cz",
        "h",
        "id",
        "mcp",
        "mcx",
        "measure",
        "p",
        "rx",
        "rxx",
        "ry",
        "ryy",
        "rz",
        "rzz",
        "s",
        "sdg",
        "swap",
        "sx",
        "sxdg",
        "t",
        "tdg",
        "x",
        "y",
        "z",
    ],  # fmt: skip
    "native": ["gpi", "gpi2", "ms", "zz", "measure"],
}


# Qiskit 1.x's transpile converts a V1 backend to a Target and drops basis names it has no
# gate for, so native gates are described as GateConfig entries (name, parameters, and a
# coupling map, which the converter reads as the qubits the gate acts on: all of them).
_NATIVE_GATE_PARAMS = {
    "gpi": (["phi"], 1),
    "gpi2": (["phi"], 1),
    "ms": (["phi0", "phi1", "theta"], 2),
    "zz": (["theta"], 2),
}


def _native_gate_config(
    name: str, n_qubits: int, coupling: Optional[List[List[int]]] = None
) -> Dict[str, Any]:
    params, width = _NATIVE_GATE_PARAMS[name]
    if width == 1:
        pairs = [[q] for q in range(n_qubits)]
    elif coupling is not None:
        pairs = [list(pair) for pair in coupling]  # a system with restricted connectivity
    else:
        pairs = [[a, b] for a in range(n_qubits) for b in range(n_qubits) if a != b]
    return {"name": name, "parameters": params, "qasm_def": f"gate {name}", "coupling_map": pairs}


def _qis_gate_configs(
    basis: Sequence[str], n_qubits: int, coupling: List[List[int]]
) -> List[Dict[str, Any]]:
    """GateConfig entries of the QIS basis on a system with restricted connectivity.

    Qiskit 1.x turns a V1 backend into a Target from these entries (a basis gate without one
    is placed on every qubit tuple, which would hide the coupling map from ``transpile``):
    one-qubit gates on every qubit, two-qubit gates on the coupling pairs only.
    """
    configs = []
    for gate in target_instructions(basis):
        pairs = [[q] for q in range(n_qubits)] if gate.num_qubits == 1 else coupling
        params = [str(p) for p in gate.params]
        configs.append(
            {"name": gate.name, "parameters": params, "qasm_def": f"gate {gate.name}",
             "coupling_map": [list(p) for p in pairs]}
        )  # fmt: skip
    return configs


# Variable-width gates the serializer accepts but a fixed-width basis cannot name.
_VARIADIC = {"mcx", "mcp"}


def _native_basis(target: str, native_2q: Optional[str] = None) -> List[str]:
    # docs/reference/ionq-api.md §4.5: MS is the Aria/Harmony-class entangler, ZZ the
    # Forte-class one; the simulator accepts both. The API's catalogue (`native_2q`) wins
    # over the name rule.
    if native_2q in ("ms", "zz"):
        return ["gpi", "gpi2", native_2q, "measure"]
    if target.startswith(("qpu.forte", "qpu.tempo")):
        return ["gpi", "gpi2", "zz", "measure"]
    if target.startswith("qpu"):
        return ["gpi", "gpi2", "ms", "measure"]
    return list(GATESET_MAP["native"])


def target_instructions(basis: Sequence[str]) -> List[Any]:
    """Gate instances for a Qiskit-2 ``Target`` built from basis-gate names."""
    a = compat.angle
    table = {
        "ccx": lambda: lib.CCXGate(), "ch": lambda: lib.CHGate(),
        "cp": lambda: lib.CPhaseGate(a("λ")), "crx": lambda: lib.CRXGate(a("θ")),
        "cry": lambda: lib.CRYGate(a("θ")), "crz": lambda: lib.CRZGate(a("θ")),
        "csx": lambda: lib.CSXGate(), "cx": lambda: lib.CXGate(), "cy": lambda: lib.CYGate(),
        "cz": lambda: lib.CZGate(), "h": lambda: lib.HGate(), "id": lambda: lib.IGate(),
        "p": lambda: lib.PhaseGate(a("λ")), "rx": lambda: lib.RXGate(a("θ")),
        "rxx": lambda: lib.RXXGate(a("θ")), "ry": lambda: lib.RYGate(a("θ")),
        "ryy": lambda: lib.RYYGate(a("θ")), "rz": lambda: lib.RZGate(a("φ")),
        "rzz": lambda: lib.RZZGate(a("θ")), "s": lambda: lib.SGate(),
        "sdg": lambda: lib.SdgGate(), "swap": lambda: lib.SwapGate(), "sx": lambda: lib.SXGate(),
        "sxdg": lambda: lib.SXdgGate(), "t": lambda: lib.TGate(), "tdg": lambda: lib.TdgGate(),
        "x": lambda: lib.XGate(), "y": lambda: lib.YGate(), "z": lambda: lib.ZGate(),
        "gpi": lambda: GPIGate(a("φ")), "gpi2": lambda: GPI2Gate(a("φ")),
        "ms": lambda: MSGate(a("φ0"), a("φ1"), a("θ")), "zz": lambda: ZZGate(a("θ")),
        "reset": lambda: Reset(),
    }  # fmt: skip
    return [table[name]() for name in basis if name in table]


def native_family(configuration: Any, api_target: str, simulator: bool, noise_model: Any) -> str:
    """The native gateset's one entangler: ``"zz"`` on Forte-class systems (and on the
    simulator with a Forte ``noise_model``), else ``"ms"``.

    A QPU the API's catalogue described says its own (``supported_native_gates``).
    """
    listed = getattr(configuration, "ionq_native_2q", None)
    if listed in ("ms", "zz") and not simulator:
        return str(listed)
    if "forte" in api_target:
        return "zz"
    model = noise_model if simulator else None
    return "zz" if model and str(model).startswith("forte") else "ms"


def backend_target(configuration: Any, native_2q: Optional[str] = None) -> Any:
    """The Qiskit ``Target`` of a backend configuration: all-to-all unless the configuration
    has a coupling map, its qubits, its basis gates. For the native gateset pass the one
    entangler (:func:`native_family`): the other is left out and ``reset`` added."""
    basis = list(configuration.basis_gates)
    if native_2q is not None:  # exactly one entangler: the system's own
        other = "ms" if native_2q == "zz" else "zz"
        basis = [g for g in basis if g != other] + ["reset"]
    return compat.make_target(
        configuration.n_qubits,
        target_instructions(basis),
        str(configuration.backend_name),
        coupling=getattr(configuration, "coupling_map", None),  # restricted systems only
    )


class Calibration:
    """A QPU's current characterization (``GET /characterizations/backends/<qpu>/current``).

    Attributes:
        uuid: the characterization id.
        num_qubits: qubits characterized.
        target: the QPU (``qpu.aria-1``).
        calibration_time: when it was measured (timezone-aware UTC datetime).
        fidelities: ``{"1q": {"mean": ...}, "2q": {...}, "spam": {...}}``.
        timings: ``{"t1", "t2", "1q", "2q", "readout", "reset"}`` in seconds.
        connectivity: pairs of qubits that support two-qubit gates.
    """

    def __init__(self, data: Dict[str, Any]) -> None:
        self._data = dict(data)

    @property
    def uuid(self) -> Optional[str]:
        return self._data.get("id")

    @property
    def num_qubits(self) -> int:
        return int(self._data.get("qubits", 0))

    @property
    def target(self) -> Optional[str]:
        # ionq-api.md §2.10 / 8.15: doc renderings disagree between "backend" and "target".
        return self._data.get("backend", self._data.get("target"))

    @property
    def calibration_time(self) -> Optional[_dt.datetime]:
        date = self._data.get("date")
        if date is None:
            return None
        if isinstance(date, str):  # ISO string in the legacy calibrations API (8.15)
            return _dt.datetime.fromisoformat(date.replace("Z", "+00:00"))
        return _dt.datetime.fromtimestamp(float(date), tz=_dt.timezone.utc)

    @property
    def fidelities(self) -> Dict[str, Any]:
        return dict(self._data.get("fidelity", {}))

    @property
    def timings(self) -> Dict[str, Any]:
        return dict(self._data.get("timing", {}))

    @property
    def connectivity(self) -> List[tuple]:
        return [tuple(pair) for pair in self._data.get("connectivity", [])]

    def to_dict(self) -> Dict[str, Any]:
        """The raw characterization as the API returned it."""
        return dict(self._data)

    def __repr__(self) -> str:
        return f"<Calibration {self.target} {self.uuid} at {self.calibration_time}>"


def backend_configuration(
    name: str,
    gateset: str,
    simulator: bool,
    *,
    n_qubits: Optional[int] = None,
    description: Optional[str] = None,
    backend_version: Optional[str] = None,
    max_shots: Optional[int] = None,
    max_experiments: Optional[int] = None,
    facts: Any = None,
) -> Any:
    """The configuration of backend ``name``; keywords override the table's values.

    ``facts`` (a :class:`~qiskit_ionq.api.catalogue.BackendFacts` from the API's catalogue)
    overrides the static table too: qubit count (unless ``n_qubits`` is given), native
    two-qubit gate, and a restricted coupling map (both directions of each pair) that
    ``transpile`` routes onto.
    """
    target = name[len("ionq_") :] if name.startswith("ionq_") else name
    coupling: Optional[List[List[int]]] = None
    if facts is not None:
        if n_qubits is None:
            n_qubits = int(facts.qubits)
        if facts.coupling:
            coupling = [[a, b] for a, b in facts.coupling] + [[b, a] for a, b in facts.coupling]
    if n_qubits is None:
        n_qubits = TARGET_QUBITS.get(target, TARGET_QUBITS["qpu"])
    if gateset == "qis":
        basis = [g for g in GATESET_MAP["qis"] if g not in _VARIADIC]
        if coupling is not None:  # 3-qubit gates cannot be placed on a coupling map
            basis = [g for g in basis if g != "ccx"]
    else:
        basis = _native_basis(target, None if facts is None else facts.native_2q)
    gates = [_native_gate_config(g, n_qubits, coupling) for g in basis if g in _NATIVE_GATE_PARAMS]
    if coupling is not None and gateset == "qis":
        gates = _qis_gate_configs(basis, n_qubits, coupling)
    if description is None:
        description = (
            "IonQ ideal/noisy simulator" if simulator else f"IonQ trapped-ion QPU {target}"
        )
    if max_shots is None:
        max_shots = MAX_SHOTS if simulator else QPU_MAX_SHOTS
    return compat.make_configuration(
        backend_name=name,
        backend_version=__version__ if backend_version is None else str(backend_version),
        n_qubits=n_qubits,
        basis_gates=list(basis),
        gates=gates,
        local=False,
        simulator=simulator,
        conditional=False,
        open_pulse=False,
        memory=True,
        max_shots=max_shots,
        max_experiments=max_experiments,
        coupling_map=coupling,
        # The native two-qubit gate the API's catalogue lists (None: the name rule applies).
        ionq_native_2q=None if facts is None else facts.native_2q,
        description=description,
    )
