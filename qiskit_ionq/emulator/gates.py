"""The ``ionq.circuit.v0`` input format: circuits, gate objects and their unitaries.

:func:`parse_circuits` reads every circuit of a job body (sections 3.1, 3.2, 8.11) and
:func:`parse_gate` validates one gate object and compiles it to :class:`Op` unitaries.

Everything here is written from the API fact sheet (``ionq-api-v0.3.md`` section 4), not
from the client's serializer: the emulator is the server side, and a test that runs one
against the other can only catch a mistake if the two were written independently.

Conventions used throughout (fact sheet section 6.2):

* A gate acting on ``targets`` ``[t0, t1, ...]`` is described by a ``2**k x 2**k`` matrix in
  the little-endian basis of its targets: bit ``i`` of a row/column index is ``targets[i]``.
* Controls are kept apart: an :class:`Op` applies its matrix only where every control is 1.

Choices on the fact sheet's open questions (section 8), made here:

* 8.8 ``z`` with ``rotation`` is the phase gate diag(1, e^{i*lambda}) (section 4.2's intended
  meaning: qiskit sends ``p``/``cp``/``mcphase`` this way); without ``rotation`` it is Pauli Z.
* 8.7 the native ``zz`` accepts ``angle`` (IonQ, qiskit) and ``phase`` (Cirq).
* 8.10 ``swap`` with controls is rejected (the doc allows controls on every QIS gate "except
  swap"); ``xx``/``yy``/``zz``/``pauliexp`` may be controlled like any other QIS gate.
* A ``rotation`` on a gate that takes none (e.g. ``h``) is rejected rather than ignored, so a
  serializer bug cannot hide behind a silently dropped field.
* Native phases/angles are not range-checked (the unitaries are periodic); only finiteness.
* A gate on a qubit >= ``input.qubits`` is a ``PreflightError``; without ``qubits`` the width
  is the highest index used + 1. ``target`` and ``targets`` (or ``control`` and ``controls``)
  together are ambiguous and rejected. Unknown extra fields are ignored.
"""

from __future__ import annotations

import json
import math
from dataclasses import dataclass
from typing import Any, Dict, List, Optional, Sequence, Tuple

import numpy as np

MAX_CONTROLS = 7  # section 4.1: "a controls list of up to seven qubits"
MAX_DENSE_PAULIEXP = 10  # non-commuting pauliexp: the emulator exponentiates 2**10 x 2**10 at most
_ZERO = 1e-14  # matrix entries below this are structural zeros (e.g. cos(pi/2) = 6e-17)


class JobFailure(Exception):
    """The job fails with a vendor failure code (fact sheet section 7.2).

    Attributes:
        code: the ``failure.code`` string, e.g. ``"PreflightError"``.
        message: human-readable explanation (the job's ``failure.error``).
    """

    def __init__(self, code: str, message: str) -> None:
        super().__init__(f"{code}: {message}")
        self.code = code
        self.message = message

    def __reduce__(self) -> Tuple[Any, Tuple[str, str]]:  # picklable across processes
        return (type(self), (self.code, self.message))


def preflight(message: str) -> JobFailure:
    """A ``PreflightError``: malformed gates or format (section 7.2)."""
    return JobFailure("PreflightError", message)


# ----------------------------------------------------------------------------- unitaries
_SQ2 = 1 / math.sqrt(2)
PAULI: Dict[str, np.ndarray] = {
    "I": np.eye(2, dtype=complex),
    "X": np.array([[0, 1], [1, 0]], dtype=complex),
    "Y": np.array([[0, -1j], [1j, 0]], dtype=complex),
    "Z": np.array([[1, 0], [0, -1]], dtype=complex),
}
_V = 0.5 * np.array([[1 + 1j, 1 - 1j], [1 - 1j, 1 + 1j]])  # sqrt(X), section 4.2
_FIXED: Dict[str, np.ndarray] = {
    "x": PAULI["X"],
    "not": PAULI["X"],
    "cnot": PAULI["X"],
    "y": PAULI["Y"],
    "z": PAULI["Z"],
    "h": _SQ2 * np.array([[1, 1], [1, -1]], dtype=complex),
    "s": np.diag([1, 1j]),
    "si": np.diag([1, -1j]),
    "t": np.diag([1, np.exp(1j * math.pi / 4)]),
    "ti": np.diag([1, np.exp(-1j * math.pi / 4)]),
    "v": _V,
    "vi": _V.conj().T,
    "swap": np.array([[1, 0, 0, 0], [0, 0, 1, 0], [0, 1, 0, 0], [0, 0, 0, 1]], dtype=complex),
}


def pauli_matrix(chars: str) -> np.ndarray:
    """Matrix of a Pauli string whose *rightmost* character is bit 0 (section 4.4)."""
    out = np.ones((1, 1), dtype=complex)
    for ch in chars:  # np.kron's first factor is the most significant bit
        out = np.kron(out, PAULI[ch])
    return out


def pauli_rotation(chars: str, theta: float) -> np.ndarray:
    """exp(-i*theta*P) = cos(theta) I - i sin(theta) P, exact because P squares to I."""
    p = pauli_matrix(chars)
    return math.cos(theta) * np.eye(len(p)) - 1j * math.sin(theta) * p


def rotation_matrix(name: str, theta: float) -> np.ndarray:
    """QIS rotation gates in radians (section 4.2); ``z`` with a rotation is the phase gate."""
    if name == "z":
        return np.diag([1, np.exp(1j * theta)])
    chars = {"rx": "X", "ry": "Y", "rz": "Z", "xx": "XX", "yy": "YY", "zz": "ZZ"}[name]
    return pauli_rotation(chars, theta / 2)  # r*(theta) = exp(-i theta/2 P)


def gpi_matrix(phi: float) -> np.ndarray:
    """GPI(phi), phi in turns (section 4.5)."""
    e = np.exp(2j * math.pi * phi)
    return np.array([[0, np.conj(e)], [e, 0]])


def gpi2_matrix(phi: float) -> np.ndarray:
    """GPI2(phi), phi in turns (section 4.5)."""
    e = np.exp(2j * math.pi * phi)
    return _SQ2 * np.array([[1, -1j * np.conj(e)], [-1j * e, 1]])


def ms_matrix(phi0: float, phi1: float, theta: float = 0.25) -> np.ndarray:
    """MS(phi0, phi1, theta), all in turns, transcribed from section 4.5.

    The fact sheet writes |ab> for (first target = a, second target = b); with our
    little-endian convention the basis index of |ab> is ``a + 2*b``.
    """
    c, s = math.cos(math.pi * theta), math.sin(math.pi * theta)
    plus, minus = np.exp(2j * math.pi * (phi0 + phi1)), np.exp(2j * math.pi * (phi0 - phi1))
    u = np.diag([c, c, c, c]).astype(complex)
    u[3, 0] = -1j * plus * s  # |00> -> c|00> - i e^{+2pi i(phi0+phi1)} s|11>
    u[0, 3] = -1j * np.conj(plus) * s  # |11> -> c|11> - i e^{-2pi i(phi0+phi1)} s|00>
    u[1, 2] = -1j * minus * s  # |01> (a=0, b=1, index 2) -> ... e^{+2pi i(phi0-phi1)} s|10>
    u[2, 1] = -1j * np.conj(minus) * s  # |10> (a=1, b=0, index 1) -> ... s|01>
    return u


def native_zz_matrix(theta: float) -> np.ndarray:
    """Native ZZ(theta) = exp(-i pi theta Z(x)Z), theta in turns (section 4.5)."""
    return np.diag(np.exp(-1j * math.pi * theta * np.array([1, -1, -1, 1])))


# ------------------------------------------------------------------------- compiled ops
class Op:
    """A unitary on ``targets`` applied where all ``controls`` are 1, pre-analysed for speed.

    The simulator applies an op on slices of the state, one slice per basis state of the
    targets, so the matrix's sparsity is worked out once here: ``scale`` lists rows that only
    multiply their own slice (diagonal gates: in place, no temporaries), ``mix`` lists rows
    that combine slices (with their non-zero entries), ``dense`` flags wide dense matrices
    that are cheaper as one ``tensordot``, and ``diag`` holds the diagonal of a diagonal
    matrix (``None`` otherwise): diagonal gates are applied as one in-place multiplication.
    """

    __slots__ = ("targets", "controls", "matrix", "scale", "mix", "dense", "diag")

    def __init__(self, targets: Sequence[int], controls: Sequence[int], matrix: Any) -> None:
        self.targets = tuple(targets)
        self.controls = tuple(controls)
        self.matrix = np.ascontiguousarray(matrix, dtype=complex)
        nz = np.abs(self.matrix) > _ZERO
        dim = len(self.matrix)
        scale: List[Tuple[int, complex]] = []
        mix: List[Tuple[int, Tuple[Tuple[int, complex], ...]]] = []
        for i in range(dim):
            cols = np.flatnonzero(nz[i])
            if len(cols) == 1 and cols[0] == i:
                if abs(self.matrix[i, i] - 1) > _ZERO:
                    scale.append((i, complex(self.matrix[i, i])))
            else:
                mix.append((i, tuple((int(j), complex(self.matrix[i, j])) for j in cols)))
        self.scale = tuple(scale)
        self.mix = tuple(mix)
        self.dense = dim >= 8 and int(nz.sum()) >= 4 * dim
        self.diag = None if mix else self.matrix.diagonal().copy()

    @property
    def is_identity(self) -> bool:
        """True when applying the op changes nothing."""
        return not self.scale and not self.mix


@dataclass(frozen=True)
class Gate:
    """One validated gate object: the qubits it touches and the ops that implement it."""

    name: str
    qubits: Tuple[int, ...]  # controls then targets: what noise and gate counts see
    ops: Tuple[Op, ...]


# ---------------------------------------------------------------------- field parsing
def _real(value: Any, what: str, *, allow_str: bool = False) -> float:
    """A finite real; numeric strings only where a client is known to send them."""
    if allow_str and isinstance(value, str):
        try:
            value = float(value)
        except ValueError:
            raise preflight(f"{what} must be a number, got {value!r}.") from None
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        raise preflight(f"{what} must be a number, got {value!r}.")
    if not math.isfinite(value):
        raise preflight(f"{what} must be finite, got {value!r}.")
    return float(value)


def _qubits(raw: Dict[str, Any], single: str, plural: str, where: str) -> List[int]:
    """Read ``target``/``targets`` (or ``control``/``controls``): either form, not both."""
    if single in raw and plural in raw:
        raise preflight(f"{where}: give either '{single}' or '{plural}', not both.")
    if single in raw:
        values = [raw[single]]
    elif plural in raw:
        values = raw[plural]
        if not isinstance(values, list):
            raise preflight(f"{where}: '{plural}' must be a list of qubit indices.")
    else:
        return []
    for q in values:
        if isinstance(q, bool) or not isinstance(q, int) or q < 0:
            raise preflight(f"{where}: qubit indices must be integers >= 0, got {q!r}.")
    return list(values)


_QIS_1Q = frozenset(_FIXED) - {"swap"} | {"rx", "ry", "rz"}
_QIS_ROTATION = frozenset({"rx", "ry", "rz", "xx", "yy", "zz"})
QIS_GATES = _QIS_1Q | {"swap", "xx", "yy", "zz", "pauliexp"}
NATIVE_GATES = frozenset({"gpi", "gpi2", "ms", "zz"})


def parse_gate(raw: Any, gateset: str, where: str) -> Gate:
    """Validate one gate object of a ``gateset`` circuit and compile it to ops.

    Args:
        raw: the decoded JSON gate object.
        gateset: ``"qis"`` or ``"native"`` (section 3.2; the two cannot be mixed).
        where: position for messages, e.g. ``"circuit 0, gate 3"``.

    Raises:
        JobFailure: ``PreflightError`` for anything malformed (section 7.2), or
            ``SimulationError`` for a pauliexp too wide for this emulator to exponentiate.
    """
    if not isinstance(raw, dict) or not isinstance(raw.get("gate"), str):
        raise preflight(f"{where}: a gate must be an object with a string 'gate' field.")
    name = raw["gate"]
    where = f"{where} ({name!r})"
    own, other = (QIS_GATES, NATIVE_GATES) if gateset == "qis" else (NATIVE_GATES, QIS_GATES)
    if name not in own:
        if name in other:
            raise preflight(
                f"{where}: not a {gateset} gate; native and QIS gates cannot be mixed in one "
                f"circuit (set 'gateset' to {'native' if gateset == 'qis' else 'qis'!r})."
            )
        raise preflight(f"{where}: unknown gate.")
    targets = _qubits(raw, "target", "targets", where)
    controls = _qubits(raw, "control", "controls", where)
    if not targets:
        raise preflight(f"{where}: missing 'target'/'targets'.")
    if len(set(targets + controls)) != len(targets) + len(controls):
        raise preflight(f"{where}: a qubit appears twice in one gate.")
    if len(controls) > MAX_CONTROLS:
        raise preflight(f"{where}: at most {MAX_CONTROLS} controls are allowed.")
    if gateset == "native":
        if controls:
            raise preflight(f"{where}: native gates take no controls.")
        ops: Tuple[Op, ...] = (_native_op(name, raw, targets, where),)
    else:
        ops = _qis_ops(name, raw, targets, controls, where)
    return Gate(name, tuple(controls + targets), ops)


def _expect_targets(targets: List[int], count: int, where: str) -> None:
    if len(targets) != count:
        raise preflight(f"{where}: expects {count} target(s), got {len(targets)}.")


def _native_op(name: str, raw: Dict[str, Any], targets: List[int], where: str) -> Op:
    """gpi/gpi2/ms/zz with parameters in turns (section 4.5)."""
    if name in ("gpi", "gpi2"):
        _expect_targets(targets, 1, where)
        phase = _real(raw.get("phase"), f"{where}: 'phase'")
        return Op(targets, (), (gpi_matrix if name == "gpi" else gpi2_matrix)(phase))
    _expect_targets(targets, 2, where)
    if name == "ms":
        phases = raw.get("phases")
        if not isinstance(phases, list) or len(phases) != 2:
            raise preflight(f"{where}: 'phases' must be a list of two numbers [phi0, phi1].")
        phi0, phi1 = (_real(p, f"{where}: 'phases'") for p in phases)
        # qiskit does not float() the angle, so it may arrive as a JSON string (section 4.5).
        angle = _real(raw.get("angle", 0.25), f"{where}: 'angle'", allow_str=True)
        return Op(targets, (), ms_matrix(phi0, phi1, angle))
    # zz: IonQ and qiskit send 'angle', Cirq sends 'phase' (section 8.7): accept either.
    values = [raw[k] for k in ("angle", "phase") if k in raw]
    if not values:
        raise preflight(f"{where}: missing 'angle'.")
    angles = {_real(v, f"{where}: 'angle'", allow_str=True) for v in values}
    if len(angles) > 1:
        raise preflight(f"{where}: 'angle' and 'phase' disagree.")
    return Op(targets, (), native_zz_matrix(angles.pop()))


def _qis_ops(
    name: str, raw: Dict[str, Any], targets: List[int], controls: List[int], where: str
) -> Tuple[Op, ...]:
    """Ops of a QIS gate (section 4.2), controlled by ``controls``."""
    if name == "pauliexp":
        return _pauliexp_ops(raw, targets, controls, where)
    has_rotation = "rotation" in raw
    if name in _QIS_ROTATION and not has_rotation:
        raise preflight(f"{where}: missing 'rotation' (radians).")
    if has_rotation and name not in _QIS_ROTATION and name != "z":
        raise preflight(f"{where}: this gate takes no 'rotation'.")
    if name == "cnot" and not controls:
        raise preflight(f"{where}: 'cnot' needs a 'control'.")
    if name == "swap" and controls:
        raise preflight(f"{where}: 'swap' cannot be controlled (section 4.1).")
    _expect_targets(targets, 1 if name in _QIS_1Q else 2, where)
    if has_rotation:
        matrix = rotation_matrix(name, _real(raw["rotation"], f"{where}: 'rotation'"))
    else:
        matrix = _FIXED[name]
    return (Op(targets, controls, matrix),)


def _pauliexp_ops(
    raw: Dict[str, Any], targets: List[int], controls: List[int], where: str
) -> Tuple[Op, ...]:
    """exp(-i*time*sum_k c_k P_k) (section 4.4), exactly.

    Commuting terms become one Pauli rotation per term, each restricted to the qubits where
    its string is not ``I`` (so wide strings stay cheap). Non-commuting terms are
    exponentiated as one Hermitian matrix over the union of their supports by
    eigendecomposition (capped at :data:`MAX_DENSE_PAULIEXP` qubits).
    """
    terms, coefficients = raw.get("terms"), raw.get("coefficients")
    if not isinstance(terms, list) or not terms:
        raise preflight(f"{where}: 'terms' must be a non-empty list of Pauli strings.")
    if not isinstance(coefficients, list) or len(coefficients) != len(terms):
        raise preflight(f"{where}: 'coefficients' must be a list as long as 'terms'.")
    for term in terms:
        if not isinstance(term, str) or len(term) != len(targets) or set(term) - set("IXYZ"):
            raise preflight(
                f"{where}: each term must be a string over 'IXYZ' with one character per target."
            )
    coeffs = [_real(c, f"{where}: 'coefficients'") for c in coefficients]
    time = _real(raw.get("time"), f"{where}: 'time'")
    if time < 0:
        raise preflight(f"{where}: 'time' must be >= 0.")
    # Re-index every term little-endian: le[i] acts on targets[i] (rightmost char = targets[0]).
    les = [term[::-1] for term in terms]
    if all(_commute(a, b) for i, a in enumerate(les) for b in les[i + 1 :]):
        ops = []
        for le, c in zip(les, coeffs):
            support = [i for i, ch in enumerate(le) if ch != "I"]
            chars = "".join(le[i] for i in reversed(support))  # back to rightmost = bit 0
            op = Op([targets[i] for i in support], controls, pauli_rotation(chars, time * c))
            # An all-identity term is a global phase unless controlled (then a relative one).
            if not op.is_identity and (support or controls):
                ops.append(op)
        return tuple(ops)
    support = sorted({i for le in les for i, ch in enumerate(le) if ch != "I"})
    if len(support) > MAX_DENSE_PAULIEXP:
        raise JobFailure(
            "SimulationError",
            f"{where}: non-commuting terms over {len(support)} qubits; this emulator "
            f"exponentiates at most {MAX_DENSE_PAULIEXP}.",
        )
    ham = sum(
        c * pauli_matrix("".join(le[i] for i in reversed(support))) for le, c in zip(les, coeffs)
    )
    w, v = np.linalg.eigh(ham)
    unitary = (v * np.exp(-1j * time * w)) @ v.conj().T
    return (Op([targets[i] for i in support], controls, unitary),)


def _commute(a: str, b: str) -> bool:
    """Pauli strings commute iff they anticommute on an even number of positions."""
    return sum(x != "I" and y != "I" and x != y for x, y in zip(a, b)) % 2 == 0


# ---------------------------------------------------------------------------- circuits
@dataclass(frozen=True)
class Circuit:
    """One validated circuit: result width (``input.qubits``, else max index + 1) and gates."""

    name: Optional[str]
    gateset: str
    width: int
    gates: List[Gate]


def _containers(body: Dict[str, Any]) -> List[Tuple[Dict[str, Any], Optional[str]]]:
    """The circuit containers of a job with their default names (sections 3.1, 3.2, 8.11).

    Accepts ``input`` as an object (``circuit`` or ``circuits``), ``input`` as a JSON array of
    circuit objects (IonQ user manual), and the legacy Cirq ``{"lang": "json", "body": ...}``.
    """
    program = body.get("input")
    if program is None and "lang" in body:
        if body["lang"] != "json":
            raise preflight(f"Unsupported 'lang' {body['lang']!r}; only 'json' is understood.")
        program = body.get("body")
    if isinstance(program, str):  # tolerate an input sent as JSON text
        try:
            program = json.loads(program)
        except ValueError:
            raise preflight("'input' is not valid JSON.") from None
    if isinstance(program, list):
        if not program or not all(isinstance(c, dict) for c in program):
            raise preflight("'input' as an array must hold one or more circuit objects.")
        return [(c, c.get("name")) for c in program]
    if not isinstance(program, dict):
        raise preflight("Missing 'input' with a 'circuit' or 'circuits'.")
    return [(program, body.get("name"))]


def parse_circuits(body: Dict[str, Any]) -> List[Circuit]:
    """Every circuit of a job body, validated and compiled, in submission order.

    Raises:
        JobFailure: ``PreflightError`` for malformed input (see :func:`parse_gate`).
    """
    out: List[Circuit] = []
    for container, default_name in _containers(body):
        fmt = container.get("format", "ionq.circuit.v0")
        if fmt != "ionq.circuit.v0":
            raise preflight(f"Unsupported input format {fmt!r}; expected 'ionq.circuit.v0'.")
        has_one, has_many = "circuit" in container, "circuits" in container
        if has_one == has_many:
            raise preflight("'input' needs exactly one of 'circuit' or 'circuits'.")
        entries: List[Tuple[Dict[str, Any], Any, Any]]
        if has_one:
            entries = [({}, default_name, container["circuit"])]
        else:
            many = container["circuits"]
            if not isinstance(many, list) or not many:
                raise preflight("'circuits' must be a non-empty list of circuit objects.")
            if not all(isinstance(e, dict) and "circuit" in e for e in many):
                raise preflight("Each 'circuits' entry must be an object with a 'circuit'.")
            entries = [(e, e.get("name"), e["circuit"]) for e in many]
        for entry, name, gates in entries:
            where = f"circuit {len(out)}"
            # Entries inherit the parent's gateset and width unless they override them (3.2).
            gateset = entry.get("gateset", container.get("gateset", "qis"))
            if gateset not in ("qis", "native"):
                raise preflight(f"{where}: unknown gateset {gateset!r}; use 'qis' or 'native'.")
            declared = entry.get("qubits", container.get("qubits"))
            if declared is not None and (optional_int(declared) is None or declared < 0):
                raise preflight(f"{where}: 'qubits' must be a non-negative integer.")
            if not isinstance(gates, list):
                raise preflight(f"{where}: 'circuit' must be a list of gate objects.")
            parsed = [parse_gate(g, gateset, f"{where}, gate {i}") for i, g in enumerate(gates)]
            used = max((q for g in parsed for q in g.qubits), default=-1) + 1
            if declared is not None and used > declared:
                raise preflight(f"{where}: qubit {used - 1} is out of range ('qubits' {declared}).")
            width = max(1, used if declared is None else declared)
            out.append(Circuit(name if isinstance(name, str) else None, gateset, width, parsed))
    return out


def gate_class(gate: Gate) -> str:
    """``"1q"`` or ``"2q"`` bucket of ``gate_counts`` (section 5.2), by qubits touched."""
    return "1q" if len(gate.qubits) == 1 else "2q"


def optional_int(value: Any) -> Optional[int]:
    """``value`` if it is a genuine int (not a bool), else ``None``."""
    return value if isinstance(value, int) and not isinstance(value, bool) else None
