"""Gate unitaries of ``ionq.circuit.v0`` (ionq-api.md §4) and the kernels applying them.

Written from the API facts (``docs/reference/ionq-api.md``), not from the client's serializer: the
emulator is the server side, and a test that runs one against the other can only catch a
mistake if the two were written independently.

Conventions (§6.2): a gate on ``targets`` ``[t0, t1, ...]`` is a ``2**k x 2**k`` matrix
in the little-endian basis of its targets (bit ``i`` of an index is ``targets[i]``); controls
are kept apart, an :class:`Op` acts only where every control is 1. A state of ``m`` qubits is
a row of ``2**m`` complex128 amplitudes, bit ``j`` of the index being qubit ``j``; :class:`States`
holds several such rows (noisy trajectories) and applies ops to all of them at once.
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


# ------------------------------------------------------------------------ statevector
_LOW_BLOCK = 10  # diagonal gates: multiply rows of 2**10 amplitudes (long inner loops)
# From this many amplitudes (2**24: 256 MiB of complex128) every op updates the state in
# place, a block or chunk at a time: the spare buffer and full-size temporaries of the fast
# kernels would double or triple the memory of the widest jobs (29 qubits: 4 GiB of complex64
# would need 8-12 GiB), and on this VM first-touching a fresh 256 MiB buffer costs as much as
# a gate. Measured at 24 qubits, a random 72-gate circuit: same time, same bits.
IN_PLACE_AMPLITUDES = 1 << 24
_CHUNK_AMPLITUDES = 1 << 21  # one in-place chunk: temporaries stay at ~16-32 MiB
DOUBLE_PRECISION_MAX_QUBITS = 26  # ideal states of more active qubits are complex64
_GEMM_MAX_QUBIT = 3  # 1q gates on qubits 0..3: matrix products with kron(U^T, I)
_GEMM_BLOCK = 1 << 17  # rows x width**2 per BLAS call: below OpenBLAS's threading threshold


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


class States:
    """``B`` state vectors of ``m`` qubits as a ``(B, 2**m)`` complex128 array.

    The flat index of a row is little-endian (bit j = local qubit j); the n-d view
    ``(B, 2, ..., 2)`` has qubit j on axis ``m - j``. Three kernels, chosen per op because
    numpy is fast on long contiguous inner loops and slow on short strided ones:

    * diagonal ops (z, s, t, rz, zz, controlled phases, Z errors): in place, over rows of
      ``2**10`` amplitudes with a precomputed phase pattern;
    * uncontrolled ops on up to 3 qubits: written into a spare buffer that then becomes the
      state, as a sum of broadcast "diagonal times bit-flip" terms (:meth:`_flips`), or, for
      a one-qubit op on qubits 0..3 where those terms have too-short inner loops, as one
      matrix product with ``kron(U^T, I)`` (:meth:`_gemm`);
    * everything else (controlled ops, low 2q targets): per-slice linear combinations
      (:func:`_apply_slices`), which only touch the slice where the controls are 1.
    """

    def __init__(self, full: np.ndarray, m: int, live: Optional[int] = None) -> None:
        self.m = m
        self.live = len(full) if live is None else live  # rows in use: a prefix of `full`
        self._bufs: List[Optional[np.ndarray]] = [full, None]  # state and spare buffer
        self._cur = 0

    @property
    def flat(self) -> np.ndarray:
        """The live rows, ``(live, 2**m)``."""
        buf = self._bufs[self._cur]
        assert buf is not None
        return buf[: self.live]

    def branch(self, count: int, source: np.ndarray) -> None:
        """Start ``count`` more rows as copies of the state ``source``."""
        full = self._bufs[self._cur]
        assert full is not None
        full[self.live : self.live + count] = source
        self.live += count

    def _buffer(self) -> np.ndarray:
        spare = self._bufs[1 - self._cur]
        if spare is None:
            spare = self._bufs[1 - self._cur] = np.empty_like(self._bufs[self._cur])
        return spare[: self.live]

    def nd(self) -> np.ndarray:
        return self.flat.reshape((len(self.flat),) + (2,) * self.m)

    def apply(self, op: Op) -> None:
        if op.diag is not None:
            self._diagonal(op)
        elif self.flat.size >= IN_PLACE_AMPLITUDES:
            if not self._blocks(op):
                _apply_chunked(self.nd(), op, self.m)
        else:
            self._fast(op)

    def _fast(self, op: Op) -> None:
        """A non-diagonal op by the fast kernels (they may use the spare buffer)."""
        if not op.controls and len(op.targets) == 1 and op.targets[0] <= _GEMM_MAX_QUBIT:
            self._gemm(op)
        elif not op.controls and len(op.targets) <= 3 and min(op.targets) > _GEMM_MAX_QUBIT:
            self._flips(op)
        elif self.flat.size > _CHUNK_AMPLITUDES:
            # Same arithmetic as one call, without temporaries of half the state (a CNOT on
            # 24 qubits: 3x faster, measured, for want of the page faults of 256 MiB temps).
            _apply_chunked(self.nd(), op, self.m)
        else:
            _apply_slices(self.nd(), op, self.m)

    def _blocks(self, op: Op) -> bool:
        """An uncontrolled op on low qubits of one large state, by the fast kernels, one
        contiguous block of ``_CHUNK_AMPLITUDES`` at a time through a block-sized spare
        buffer (2.3x faster per gate than :func:`_apply_chunked`, measured at 24 qubits).
        Returns False (nothing done) when the op is not of that kind."""
        low = min(self.m, _CHUNK_AMPLITUDES.bit_length() - 1)
        if self.live != 1 or op.controls or len(op.targets) > 3 or max(op.targets) >= low:
            return False
        flat = self.flat[0]
        spare = np.empty(1 << low, dtype=flat.dtype)
        for start in range(0, len(flat), 1 << low):
            block = flat[start : start + (1 << low)].reshape(1, -1)
            sub = States(block, low)
            sub._bufs[1] = spare.reshape(1, -1)
            sub._fast(op)
            if sub._cur == 1:  # the fast kernels wrote the result into the spare buffer
                block[...] = spare
        return True

    def _diagonal(self, op: Op) -> None:
        m, p = self.m, min(self.m, _LOW_BLOCK)
        qubits = op.controls + op.targets
        high = [(i, q) for i, q in enumerate(qubits) if q >= p]
        low_index = np.arange(1 << p)
        nd = self.flat.reshape((len(self.flat),) + (2,) * (m - p) + (1 << p,))
        nc = len(op.controls)
        assert op.diag is not None
        for hb in range(1 << len(high)):  # one row-slice per setting of the high qubits
            idx: List[Any] = [slice(None)] * (m - p + 2)
            bits = [np.zeros(1, dtype=np.int64)] * len(qubits)
            for h, (i, q) in enumerate(high):
                idx[m - q] = (hb >> h) & 1
                bits[i] = np.array([(hb >> h) & 1])
            for i, q in enumerate(qubits):
                if q < p:
                    bits[i] = (low_index >> q) & 1
            enabled = np.ones(1, dtype=bool)
            for b in bits[:nc]:  # the gate acts only where every control is 1
                enabled = enabled & (b == 1)
            target_index = sum((b << i for i, b in enumerate(bits[nc:])), np.zeros(1, np.int64))
            # In the state's precision: a complex128 pattern would make numpy compute a
            # complex64 state's product in double and cast back, at twice the cost.
            pattern = np.where(enabled, op.diag[target_index], 1).astype(nd.dtype, copy=False)
            if np.any(pattern != 1):
                view = nd[tuple(idx)]
                view *= pattern if len(pattern) > 1 else pattern[0]

    def _gemm(self, op: Op) -> None:
        """1q op on qubit q <= 3: rows of 2**(q+1) amplitudes times kron(U^T, I).

        The product is issued in blocks small enough for BLAS to stay single-threaded: on
        few cores, OpenBLAS worker threads spin after each large call and slow down every
        numpy operation that follows (measured: 2-5x on a 2-core VM).
        """
        width = 2 << op.targets[0]
        kron = np.kron(op.matrix.T, np.eye(width // 2))
        src = self.flat.reshape(-1, width)
        dst = self._buffer().reshape(-1, width)
        step = max(1, _GEMM_BLOCK // (width * width))
        for i in range(0, len(src), step):
            np.matmul(src[i : i + step], kron, out=dst[i : i + step])
        self._cur = 1 - self._cur

    def _flips(self, op: Op) -> None:
        """Uncontrolled op on targets >= 3: U = sum_f diag(d_f) X^f over flip masks f.

        ``(U psi)[x] = sum_f U[x, x^f] psi[x^f]``: each term is a broadcast multiply of the
        state, reversed along the flipped target axes; no slicing, long inner loops.
        """
        order = sorted(range(len(op.targets)), key=lambda i: -op.targets[i])
        qs = [op.targets[i] for i in order] + [-1]
        # Split each row at every target: (rest, 2, gap, 2, ..., 2, 2**lowest target).
        shape = [len(self.flat) << (self.m - 1 - qs[0])]
        for q, below in zip(qs, qs[1:]):
            shape += [2, 1 << (q - below - 1)]
        axis = {i: 1 + 2 * n for n, i in enumerate(order)}
        k = len(op.targets)
        psi = self.flat.reshape(shape)
        out = self._buffer().reshape(shape)
        x = np.arange(1 << k)
        terms = [f for f in range(1 << k) if np.any(np.abs(op.matrix[x, x ^ f]) > 1e-14)]
        for n, f in enumerate(terms):
            d = op.matrix[x, x ^ f].reshape((2,) * k)  # axes: target k-1 ... target 0
            d = d.transpose([k - 1 - i for i in order]).reshape(
                [2 if a in axis.values() else 1 for a in range(len(shape))]
            )
            flipped = {axis[i] for i in axis if f >> i & 1}
            flip = tuple(slice(None, None, -1 if a in flipped else 1) for a in range(len(shape)))
            if n == 0:
                np.multiply(psi[flip], d, out=out)
            elif n < len(terms) - 1:
                out += psi[flip] * d
            else:  # last term: scale the old state in place, then add it flipped
                psi *= d[flip]
                out += psi[flip]
        self._cur = 1 - self._cur


def _apply_chunked(state: np.ndarray, op: Op, m: int) -> None:
    """:func:`_apply_slices` on a large state, one chunk of the state at a time.

    A chunk fixes the bits of the highest qubits the op does not touch (each chunk is then a
    few long contiguous runs), so the temporaries of a chunk are ~``_CHUNK_AMPLITUDES`` and
    the state needs no spare buffer. Slices ``b:b+1`` keep every axis, so the chunk has the
    state's shape and axis numbering.
    """
    size = state.size
    involved = set(op.targets) | set(op.controls)
    free = [q for q in range(m - 1, -1, -1) if q not in involved]
    split: List[int] = []
    for q in free:
        if size <= _CHUNK_AMPLITUDES:
            break
        split.append(q)
        size >>= 1
    for bits in range(1 << len(split)):
        idx: List[Any] = [slice(None)] * (m + 1)
        for i, q in enumerate(split):
            b = (bits >> i) & 1
            idx[m - q] = slice(b, b + 1)
        _apply_slices(state[tuple(idx)], op, m)


def _apply_slices(state: np.ndarray, op: Op, m: int) -> None:
    """Apply ``op`` in place to ``state`` of shape ``(B,) + (2,) * m`` (qubit j on axis m - j)."""
    base: List[Any] = [slice(None)] * (m + 1)
    for c in op.controls:
        base[m - c] = 1  # only the slice where every control is |1> changes (§4.2)
    if op.dense:
        sub = state[tuple(base)]
        k = len(op.targets)
        # Axis of each target in `sub`, whose control axes have been indexed away.
        axes = [m - t - sum(m - c < m - t for c in op.controls) for t in op.targets][::-1]
        ut = op.matrix.astype(state.dtype, copy=False).reshape((2,) * (2 * k))  # out, in bits
        res = np.tensordot(ut, sub, axes=(list(range(k, 2 * k)), axes))
        sub[...] = np.moveaxis(res, list(range(k)), axes)
        return
    views: Dict[int, np.ndarray] = {}

    def view(b: int) -> np.ndarray:
        if b not in views:
            idx = list(base)
            for i, t in enumerate(op.targets):
                idx[m - t] = (b >> i) & 1
            views[b] = state[tuple(idx)]
        return views[b]

    temps = []
    for i, row in op.mix:  # new slice i = sum_j U[i, j] * old slice j: read all, then write
        (j0, u0), rest = row[0], row[1:]
        acc = view(j0).copy() if u0 == 1 else np.multiply(view(j0), u0)
        for j, u in rest:
            acc += view(j) if u == 1 else np.multiply(view(j), u)
        temps.append((i, acc))
    for i, d in op.scale:
        v = view(i)
        v *= d
    for i, acc in temps:
        view(i)[...] = acc


_PAULI_OPS: Dict[Tuple[int, str], Op] = {}


def pauli_op(qubit: int, letter: str) -> Op:
    return _PAULI_OPS.setdefault((qubit, letter), Op((qubit,), (), PAULI[letter]))


def probabilities(states: States) -> np.ndarray:
    flat = states.flat
    return flat.real**2 + flat.imag**2


def state_dtype(m: int) -> type:
    """complex128 up to :data:`DOUBLE_PRECISION_MAX_QUBITS` qubits, complex64 above: 2**29
    amplitudes are 4 GiB in complex64 (8 GiB in complex128), and single precision keeps
    probabilities to ~1e-7, well inside what shots can resolve at that width."""
    return np.complex128 if m <= DOUBLE_PRECISION_MAX_QUBITS else np.complex64


class Runner:
    """The error-free trajectory, advanced gate by gate and never rewound.

    Args:
        gates: the circuit on local qubits ``0 .. m-1``.
        m: number of qubits.
        dtype: amplitude type (default :func:`state_dtype` of ``m``).
    """

    def __init__(self, gates: Sequence[Gate], m: int, dtype: Optional[type] = None) -> None:
        full: np.ndarray = np.zeros((1, 1 << m), dtype=dtype or state_dtype(m))
        full[0, 0] = 1
        self.gates, self.states, self.done = gates, States(full, m), 0

    def advance(self, stop: int) -> np.ndarray:
        """Apply the gates up to index ``stop`` (exclusive); returns the state row."""
        for gate in self.gates[self.done : stop]:
            checkpoint()
            for op in gate.ops:
                self.states.apply(op)
        self.done = max(self.done, stop)
        return self.states.flat[0]
