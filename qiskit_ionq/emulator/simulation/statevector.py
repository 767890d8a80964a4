"""State vectors and the kernels that apply :class:`.gates.Op` to them.

Split from :mod:`.gates` (what each gate *is*: unitaries, their analysis into ops) because
this is *how fast and in how much memory* they are applied, which the widest jobs decide:
a state of ``m`` qubits is a row of ``2**m`` amplitudes, bit ``j`` of the index being qubit
``j``, complex128 up to :data:`DOUBLE_PRECISION_MAX_QUBITS` active qubits and complex64 above;
:class:`States` holds several such rows (noisy trajectories) and applies ops to all of them at
once; from :data:`IN_PLACE_AMPLITUDES` on, every op updates the state in place.
"""

from __future__ import annotations

from typing import Any, Dict, List, Optional, Sequence

import numpy as np

from .gates import Gate, Op, checkpoint

_LOW_BLOCK = 10  # diagonal gates: multiply rows of 2**10 amplitudes (long inner loops)
# From this many amplitudes (2**24: 256 MiB of complex128) every op updates the state in
# place, a block or chunk at a time: the spare buffer and full-size temporaries of the fast
# kernels would double or triple the memory of the widest jobs (29 qubits: 4 GiB of complex64
# would need 8-12 GiB), and on this VM first-touching a fresh 256 MiB buffer costs as much as
# a gate. Measured at 24 qubits, a random 72-gate circuit: same time, same bits.
IN_PLACE_AMPLITUDES = 1 << 24
_CHUNK_AMPLITUDES = 1 << 21  # one in-place chunk: temporaries stay at ~16-32 MiB
_PAIRS_MIN_QUBIT = 10  # in place, 1q ops on qubits from here on combine runs of 2**q (_pairs)
DOUBLE_PRECISION_MAX_QUBITS = 26  # ideal states of more active qubits are complex64
_GEMM_MAX_QUBIT = 3  # 1q gates on qubits 0..3: matrix products with kron(U^T, I)
_GEMM_BLOCK = 1 << 17  # rows x width**2 per BLAS call: below OpenBLAS's threading threshold


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
        # Scratch of the in-place kernels, allocated once per state: on this VM first-touching
        # a fresh 32 MiB buffer for every op costs more than the op's arithmetic.
        self._scratch: Optional[np.ndarray] = None

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
            if not self._pairs(op) and not self._blocks(op):
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
        spare = self.scratch(1 << low)
        for start in range(0, len(flat), 1 << low):
            block = flat[start : start + (1 << low)].reshape(1, -1)
            sub = States(block, low)
            sub._bufs[1] = spare.reshape(1, -1)
            sub._fast(op)
            if sub._cur == 1:  # the fast kernels wrote the result into the spare buffer
                block[...] = spare
        return True

    def scratch(self, size: int) -> np.ndarray:
        """A reusable buffer of ``size`` amplitudes (at most ``_CHUNK_AMPLITUDES``)."""
        dtype = self._bufs[self._cur].dtype  # type: ignore[union-attr]
        if self._scratch is None or self._scratch.dtype != dtype:
            self._scratch = np.empty(_CHUNK_AMPLITUDES, dtype=dtype)
        return self._scratch[:size]

    def _pairs(self, op: Op) -> bool:
        """An uncontrolled one-qubit op on qubit ``t`` >= 10 of one large state, in place.

        Seen as rows of ``(2, 2**t)``, the amplitudes where the target is 0 and 1 are runs of
        ``2**t``; blocks of rows are combined through reused scratch, no allocation per op
        (measured at 26 qubits: 0.3-0.6 s per gate, against 0.9 s for the fast kernels by
        blocks and 1.5 s for :func:`_apply_chunked`; on shorter runs the blocks are faster).
        Returns False when not that op.
        """
        if self.live != 1 or op.controls or len(op.targets) != 1:
            return False
        t = op.targets[0]
        if t < _PAIRS_MIN_QUBIT:  # shorter runs: the fast kernels by blocks are faster
            return False
        (u00, u01), (u10, u11) = ((complex(x) for x in row) for row in op.matrix)
        inner = 1 << t
        width = min(inner, _CHUNK_AMPLITUDES >> 1)  # amplitudes of a run taken at once
        rows = max(1, (_CHUNK_AMPLITUDES >> 1) // width)
        halves = self.flat[0].reshape(-1, 2, inner)
        scratch = self.scratch(2 * rows * width)
        for r in range(0, len(halves), rows):
            block = halves[r : r + rows]
            n = len(block)
            first = scratch[: n * width].reshape(n, width)
            second = scratch[rows * width : (rows + n) * width].reshape(n, width)
            for j in range(0, inner, width):
                a, b = block[:, 0, j : j + width], block[:, 1, j : j + width]
                np.multiply(a, u00, out=first)
                np.multiply(b, u01, out=second)
                first += second  # the new a, kept until b no longer needs the old one
                np.multiply(a, u10, out=second)
                b *= u11
                b += second
                a[...] = first
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


def amplitude_probabilities(amplitudes: np.ndarray) -> np.ndarray:
    """|a|**2 in float64 (complex64 amplitudes are widened first: no float32 rounding).

    Squared in place into one output array: the same bits as ``re**2 + im**2`` with one
    temporary instead of three (1.5x faster, measured on 2**21 amplitudes)."""
    out = np.square(amplitudes.real, dtype=np.float64)
    out += np.square(amplitudes.imag, dtype=np.float64)
    return out


def probabilities(states: States) -> np.ndarray:
    """The probabilities of every live row, ``(live, 2**m)``."""
    return amplitude_probabilities(states.flat)


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
