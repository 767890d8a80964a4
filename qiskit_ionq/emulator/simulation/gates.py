"""Gate unitaries of ``ionq.circuit.v0`` (ionq-api.md §4), analysed into the ops that apply them.

Written from the API facts (``docs/reference/ionq-api.md``), not from the client's serializer: the
emulator is the server side, and a test that runs one against the other can only catch a
mistake if the two were written independently. The state vectors and kernels that apply the
ops live in :mod:`.statevector`.

Conventions (§6.2): a gate on ``targets`` ``[t0, t1, ...]`` is a ``2**k x 2**k`` matrix
in the little-endian basis of its targets (bit ``i`` of an index is ``targets[i]``); controls
are kept apart, an :class:`Op` acts only where every control is 1.
"""

from __future__ import annotations

import math
import threading
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any, Callable, Dict, Iterator, List, Optional, Sequence, Tuple

import numpy as np

MAX_DENSE_PAULIEXP = 10  # non-commuting pauliexp: the emulator exponentiates 2**10 x 2**10 at most
_ZERO = 1e-14  # matrix entries below this are structural zeros (e.g. cos(pi/2) = 6e-17)


class JobFailure(Exception):
    """The job fails with a vendor failure code (ionq-api.md §7.2).

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


_CHECK = threading.local()  # the running job's stop check, per worker thread


@contextmanager
def stop_check(check: Optional[Callable[[], None]]) -> Iterator[None]:
    """Make :func:`checkpoint` call ``check`` on this thread (which raises to stop)."""
    _CHECK.fn = check
    try:
        yield
    finally:
        _CHECK.fn = None


def checkpoint() -> None:
    """Between gates: let a canceled, deleted or overdue job stop here (see ``stop_check``)."""
    check = getattr(_CHECK, "fn", None)
    if check is not None:
        check()


def preflight(message: str) -> JobFailure:
    """A ``PreflightError``: malformed gates or format (§7.2)."""
    return JobFailure("PreflightError", message)


# ----------------------------------------------------------------------------- unitaries
_SQ2 = 1 / math.sqrt(2)
PAULI: Dict[str, np.ndarray] = {
    "I": np.eye(2, dtype=complex),
    "X": np.array([[0, 1], [1, 0]], dtype=complex),
    "Y": np.array([[0, -1j], [1j, 0]], dtype=complex),
    "Z": np.array([[1, 0], [0, -1]], dtype=complex),
}
_V = 0.5 * np.array([[1 + 1j, 1 - 1j], [1 - 1j, 1 + 1j]])  # sqrt(X), §4.2
FIXED_GATES: Dict[str, np.ndarray] = {
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
    """Matrix of a Pauli string whose *rightmost* character is bit 0 (§4.4)."""
    out = np.ones((1, 1), dtype=complex)
    for ch in chars:  # np.kron's first factor is the most significant bit
        out = np.kron(out, PAULI[ch])
    return out


def pauli_rotation(chars: str, theta: float) -> np.ndarray:
    """exp(-i*theta*P) = cos(theta) I - i sin(theta) P, exact because P squares to I."""
    p = pauli_matrix(chars)
    return math.cos(theta) * np.eye(len(p)) - 1j * math.sin(theta) * p


def rotation_matrix(name: str, theta: float) -> np.ndarray:
    """QIS rotation gates in radians (§4.2); ``z`` with a rotation is the phase gate."""
    if name == "z":
        return np.diag([1, np.exp(1j * theta)])
    chars = {"rx": "X", "ry": "Y", "rz": "Z", "xx": "XX", "yy": "YY", "zz": "ZZ"}[name]
    return pauli_rotation(chars, theta / 2)  # r*(theta) = exp(-i theta/2 P)


def gpi_matrix(phi: float) -> np.ndarray:
    """GPI(phi), phi in turns (§4.5)."""
    e = np.exp(2j * math.pi * phi)
    return np.array([[0, np.conj(e)], [e, 0]])


def gpi2_matrix(phi: float) -> np.ndarray:
    """GPI2(phi), phi in turns (§4.5)."""
    e = np.exp(2j * math.pi * phi)
    return _SQ2 * np.array([[1, -1j * np.conj(e)], [-1j * e, 1]])


def ms_matrix(phi0: float, phi1: float, theta: float = 0.25) -> np.ndarray:
    """MS(phi0, phi1, theta), all in turns, transcribed from §4.5.

    ionq-api.md §4.5 writes |ab> for (first target = a, second target = b); with our
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
    """Native ZZ(theta) = exp(-i pi theta Z(x)Z), theta in turns (§4.5)."""
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


def pauliexp_ops(
    targets: Sequence[int],
    controls: Sequence[int],
    terms: Sequence[str],
    coeffs: Sequence[float],
    time: float,
    where: str,
) -> Tuple[Op, ...]:
    """Ops of exp(-i*time*sum_k c_k P_k) (§4.4), exactly.

    Commuting terms become one Pauli rotation per term, each restricted to the qubits where
    its string is not ``I`` (so wide strings stay cheap). Non-commuting terms are
    exponentiated as one Hermitian matrix over the union of their supports by
    eigendecomposition (capped at :data:`MAX_DENSE_PAULIEXP` qubits, else ``SimulationError``).
    """
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
    ham = np.zeros((1 << len(support),) * 2, dtype=complex)
    for le, c in zip(les, coeffs):
        ham += c * pauli_matrix("".join(le[i] for i in reversed(support)))
    w, v = np.linalg.eigh(ham)
    unitary = (v * np.exp(-1j * time * w)) @ v.conj().T
    return (Op([targets[i] for i in support], controls, unitary),)


def _commute(a: str, b: str) -> bool:
    """Pauli strings commute iff they anticommute on an even number of positions."""
    return sum(x != "I" and y != "I" and x != y for x, y in zip(a, b)) % 2 == 0


@dataclass(frozen=True)
class Gate:
    """One validated gate object: the qubits it touches and the ops that implement it."""

    name: str
    qubits: Tuple[int, ...]  # controls then targets: what noise and gate counts see
    ops: Tuple[Op, ...]


def gate_class(gate: Gate) -> str:
    """``"1q"`` or ``"2q"`` bucket of ``gate_counts`` (§5.2), by qubits touched."""
    return "1q" if len(gate.qubits) == 1 else "2q"


def relabel(gate: Gate, local: Dict[int, int]) -> Gate:
    """The gate on local (dense) qubit indices; the ops' matrix analysis is reused."""
    ops = []
    for op in gate.ops:
        new = Op.__new__(Op)
        for slot in Op.__slots__:
            setattr(new, slot, getattr(op, slot))
        new.targets = tuple(local[q] for q in op.targets)
        new.controls = tuple(local[q] for q in op.controls)
        ops.append(new)
    return Gate(gate.name, tuple(local[q] for q in gate.qubits), tuple(ops))


_PAULI_OPS: Dict[Tuple[int, str], Op] = {}


def pauli_op(qubit: int, letter: str) -> Op:
    return _PAULI_OPS.setdefault((qubit, letter), Op((qubit,), (), PAULI[letter]))
