"""Stand-in circuits to native gates with a virtual-Z frame per qubit, and back.

The optimizer works on *stand-in* gates Qiskit already knows: ``rz``, ``sx``, ``sxdg``, ``x``
and one entangler, ``rxx`` (becomes MS) or ``rzz`` (becomes ZZ). :func:`to_native` then walks
the circuit once, keeping for each qubit a pending Z rotation (its *frame*, radians) instead of
emitting pulses for ``rz``:

* ``rz(t)``: frame += t (no pulse).
* ``sx``/``sxdg``/``x``: one GPI2/GPI whose phase is shifted by -frame / 2 pi, because
  ``P(0) . RZ(f) = RZ(f) . P(-f / 2 pi)`` for P in {GPI, GPI2}.
* ``rxx(t)``: MS(-f0 / 2 pi, -f1 / 2 pi, t / 2 pi), the frames move through unchanged; the angle
  is folded into the API's 0..0.25 turns.
* ``rzz(t)``: ZZ(t / 2 pi) (Z frames commute with it), folded into -0.25..0.25 turns; the
  half-turn removed is Z (x) Z, which goes into the frames for free.

What happens to the frames left at the end is the *final-frame policy*: when the circuit
measures anything, they are dropped (a Z rotation after a qubit's last gate cannot change any
measured outcome); otherwise the circuit is a unitary someone may compare exactly, so the last
pulses of each qubit are re-synthesized together with its frame into the fewest pulses that
leave no Z behind (0 to 3 pulses; see :func:`zero_frame_pulses`).

Everything here is exact, global phase included, and pure (no I/O, no transpiler).
"""

from __future__ import annotations

import cmath
import math
from typing import Any, Dict, List, Optional, Sequence, Tuple

import numpy as np
from qiskit.circuit import CircuitInstruction, Gate, Instruction, QuantumCircuit
from qiskit.circuit.library import RXXGate, RZGate, RZZGate, SXGate, XGate

from ..exceptions import IonQCircuitError
from ..ionq_gates import GPI2Gate, GPIGate, MSGate, ZZGate

__all__ = [
    "STANDIN_1Q",
    "NATIVE_NAMES",
    "PASS_THROUGH",
    "to_native",
    "to_standins",
    "fast_append",
    "zero_frame_pulses",
]

TWO_PI = 2 * math.pi
STANDIN_1Q = ("rz", "sx", "sxdg", "x")
NATIVE_NAMES = frozenset({"gpi", "gpi2", "ms", "zz"})
# Instructions that carry no unitary to convert; frames move through them unchanged.
PASS_THROUGH = frozenset({"measure", "barrier", "delay", "id", "i"})
_ATOL = 1e-12  # a frame or angle this close to a multiple of 2 pi is zero


def fast_append(
    circuit: QuantumCircuit, op: Any, qargs: Sequence[Any], cargs: Sequence[Any] = ()
) -> None:
    """Append without QuantumCircuit.append's checks and broadcasting (5x faster).

    Only for circuits the caller has just built with ``copy_empty_like`` and owns, with bits
    taken from the source circuit, which is what every rewrite here does.
    """
    circuit._append(CircuitInstruction(op, tuple(qargs), tuple(cargs)))


def _is_number(value: Any) -> bool:
    return isinstance(value, (int, float, np.floating, np.integer))


def _param(value: Any) -> Any:
    """A gate parameter as a float when it is bound, else the expression itself."""
    try:
        return float(value)
    except (TypeError, ValueError):
        return value


def _wrap(angle: Any) -> Any:
    """An angle in radians reduced to (-pi, pi] (expressions are left alone)."""
    if not _is_number(angle):
        return angle
    wrapped = math.remainder(float(angle), TWO_PI)
    return math.pi if wrapped <= -math.pi else wrapped


def _turns(angle: Any) -> Any:
    """A frame in radians as a GPI/GPI2/MS phase in turns, in [-0.5, 0.5] when bound."""
    if not _is_number(angle):
        return angle / TWO_PI
    return _wrap(angle) / TWO_PI


class _Emitter:
    """Collects native instructions and tracks the frames and the global phase."""

    def __init__(self, circuit: QuantumCircuit) -> None:
        self.circuit = circuit
        self.index = {bit: i for i, bit in enumerate(circuit.qubits)}
        self.frames: List[Any] = [0.0] * circuit.num_qubits
        self.phase: Any = circuit.global_phase
        self.out: List[Optional[Tuple[Instruction, Sequence[Any], Sequence[Any]]]] = []
        # Output positions of each qubit's pulses since its last multi-qubit/measure/reset op.
        self.tail: List[List[int]] = [[] for _ in circuit.qubits]
        self.measures = False

    def emit(self, op: Instruction, qargs: Sequence[Any], cargs: Sequence[Any] = ()) -> None:
        self.out.append((op, qargs, cargs))

    def pulse(self, op: Gate, qubit: Any) -> None:
        self.tail[self.index[qubit]].append(len(self.out))
        self.emit(op, [qubit])

    def barrier(self, qubits: Sequence[Any]) -> None:
        for q in qubits:
            self.tail[self.index[q]] = []


def _ms_instructions(phi0: Any, phi1: Any, turns: Any) -> Tuple[List[MSGate], float]:
    """MS gates (angles in 0..0.25) equal to MS(phi0, phi1, turns), and the phase they add."""
    if not _is_number(turns):
        return [MSGate(phi0, phi1, turns)], 0.0
    t = float(turns)
    whole = round(t)
    t -= whole  # a whole turn of MS is -1 (sigma (x) sigma squares to 1)
    phase = math.pi * (whole % 2)
    if t < 0:  # sigma_{phi + 1/2} = -sigma_phi
        t, phi0 = -t, _shift(phi0, 0.5)
    if t <= _ATOL:
        return [], phase
    if t > 0.25 + _ATOL:  # the optimizer folds these away; exact fallback: two gates
        return [MSGate(phi0, phi1, 0.25), MSGate(phi0, phi1, t - 0.25)], phase
    return [MSGate(phi0, phi1, min(t, 0.25))], phase


def _shift(phase: Any, turns: float) -> Any:
    if not _is_number(phase):
        return phase + turns
    shifted = float(phase) + turns
    return shifted - 1.0 if shifted > 0.5 else shifted


def to_native(circuit: QuantumCircuit, exact_end: Optional[bool] = None) -> QuantumCircuit:
    """Rewrite a stand-in circuit as GPI/GPI2/MS/ZZ with a virtual-Z frame per qubit.

    Args:
        circuit: gates from ``rz, sx, sxdg, x, rxx, rzz`` (plus measure, reset, barrier,
            delay, id and native gates, which are kept).
        exact_end: keep the final frames as exact trailing pulses (True) or drop them
            (False). ``None`` applies the policy: drop them when the circuit measures.

    Returns:
        A circuit over the same registers, equal to ``circuit`` (global phase included) when
        the final frames are kept, or up to a final Z rotation per qubit when dropped.

    Raises:
        IonQCircuitError: an instruction that is neither a stand-in nor native.
    """
    em = _Emitter(circuit)
    idx = em.index
    for inst in circuit.data:
        op, qargs, cargs = inst.operation, inst.qubits, inst.clbits
        name = op.name
        if name == "rz":
            q = idx[qargs[0]]
            em.frames[q] = em.frames[q] + _param(op.params[0])
        elif name in ("sx", "sxdg", "x"):
            f = em.frames[idx[qargs[0]]]
            if name == "x":  # X = GPI(0)
                em.pulse(GPIGate(_turns(-f)), qargs[0])
            elif name == "sx":  # SX = e^{i pi/4} GPI2(0)
                em.pulse(GPI2Gate(_turns(-f)), qargs[0])
                em.phase += math.pi / 4
            else:  # SXdg = e^{-i pi/4} GPI2(1/2)
                em.pulse(GPI2Gate(_turns(math.pi - f)), qargs[0])
                em.phase -= math.pi / 4
        elif name in ("gpi", "gpi2"):
            f = em.frames[idx[qargs[0]]]
            cls = GPIGate if name == "gpi" else GPI2Gate
            em.pulse(cls(_turns(TWO_PI * _param(op.params[0]) - f)), qargs[0])
        elif name in ("rxx", "ms"):
            a, b = idx[qargs[0]], idx[qargs[1]]
            if name == "rxx":
                phi0, phi1, turns = 0.0, 0.0, _param(op.params[0]) / TWO_PI
            else:
                phi0, phi1, turns = (_param(p) for p in op.params)
            phi0 = _turns(TWO_PI * phi0 - em.frames[a])
            phi1 = _turns(TWO_PI * phi1 - em.frames[b])
            gates, phase = _ms_instructions(phi0, phi1, turns)
            em.phase += phase
            for gate in gates:
                em.emit(gate, list(qargs))
            if gates:
                em.barrier(qargs)
        elif name in ("rzz", "zz"):
            turns = _param(op.params[0])
            turns = turns / TWO_PI if name == "rzz" else turns
            if _is_number(turns):
                turns, phase, flip = _fold_zz(float(turns))
                em.phase += phase
                if flip:  # Z (x) Z = -RZ(pi) (x) RZ(pi)
                    for q in qargs:
                        em.frames[idx[q]] += math.pi
                    em.phase += math.pi
            if not _is_number(turns) or abs(turns) > _ATOL:
                em.emit(ZZGate(turns), list(qargs))
                em.barrier(qargs)
        elif name == "reset":
            em.frames[idx[qargs[0]]] = 0.0
            em.emit(op, qargs, cargs)
            em.barrier(qargs)
        elif name == "global_phase":
            em.phase += _param(op.params[0])
        elif name in PASS_THROUGH:
            if name == "measure":
                em.measures = True
            if name not in ("id", "i"):
                em.emit(op, qargs, cargs)
                em.barrier(qargs)  # the final re-synthesis never moves pulses across these
        else:
            raise IonQCircuitError(
                f"Cannot compile {name!r} to IonQ native gates: it is neither a gate nor a "
                "measurement, reset or barrier (classical control cannot run on IonQ "
                "systems). Remove it, or translate the circuit to standard gates first."
            )
    keep = (not em.measures) if exact_end is None else exact_end
    if keep:
        _settle_frames(em)
    out = circuit.copy_empty_like()
    for entry in em.out:
        if entry is not None:
            fast_append(out, *entry)
    out.global_phase = em.phase
    return out


def _fold_zz(turns: float) -> Tuple[float, float, bool]:
    """ZZ(turns) as (t, phase, flip) with ZZ(turns) = e^{i phase} ZZ(t) . (Z (x) Z)^flip.

    ``t`` is in [-0.25, 0.25]: ZZ has period 1 turn up to -1, and half a turn is
    exp(-i pi/2 Z (x) Z) = -i Z (x) Z, which costs nothing once it is a frame change.
    """
    whole = round(turns)
    t = turns - whole
    phase = math.pi * (whole % 2)
    flip = False
    if abs(t) > 0.25 + _ATOL:
        half = 0.5 if t > 0 else -0.5
        # ZZ(t) = ZZ(t - half) . exp(-i pi half Z(x)Z) = ZZ(t - half) . (-i sign(half)) Z(x)Z
        t -= half
        phase += -math.pi / 2 if half > 0 else math.pi / 2
        flip = True
    return t, phase, flip


def _settle_frames(em: _Emitter) -> None:
    """Make the final frames physical: re-synthesize each qubit's last pulses with its frame."""
    for q, frame in enumerate(em.frames):
        if _is_number(frame) and abs(_wrap(frame)) <= _ATOL:
            continue
        qubit = em.circuit.qubits[q]
        tail = [em.out[i] for i in em.tail[q]]
        if not _is_number(frame) or not all(_is_number(e[0].params[0]) for e in tail if e):
            # Symbolic: RZ(f) = GPI(f / 4 pi) . GPI(0), after the existing pulses.
            em.pulse(GPIGate(0.0), qubit)
            em.pulse(GPIGate(frame / (2 * TWO_PI)), qubit)
            continue
        mat = np.eye(2, dtype=complex)
        for i in em.tail[q]:
            entry = em.out[i]
            if entry is not None:
                mat = entry[0].to_matrix() @ mat
            em.out[i] = None
        mat = RZGate(float(frame)).to_matrix() @ mat
        pulses, phase = zero_frame_pulses(mat)
        for gate in pulses:
            em.emit(gate, [qubit])
        em.phase -= phase


def _pulse_matrix(pulses: Sequence[Gate]) -> np.ndarray:
    mat = np.eye(2, dtype=complex)
    for gate in pulses:
        mat = np.asarray(gate.to_matrix(), dtype=complex) @ mat
    return mat


def zero_frame_pulses(unitary: np.ndarray) -> Tuple[List[Gate], float]:
    """The fewest GPI/GPI2 pulses (no Z left over) equal to ``unitary`` up to a phase.

    Returns ``(pulses, phase)`` with ``product(pulses) = e^{i phase} unitary``. Families tried,
    cheapest first: nothing (identity), one GPI (anti-diagonal), one GPI2, GPI . GPI2
    (|u00| = 1/sqrt 2), GPI2 . GPI2, GPI . GPI (diagonal), else GPI . GPI2 . GPI2 (always).
    """
    det = np.linalg.det(unitary)
    su = unitary / cmath.sqrt(det)
    x, y = su[0, 0], su[1, 0]
    ax = abs(x)
    tol = 1e-9
    candidates: List[List[Gate]] = []
    if abs(ax - 1) < tol:
        if abs(cmath.phase(x)) < tol or abs(abs(cmath.phase(x)) - math.pi) < tol:
            candidates.append([])
        # diag(x, x*) = RZ(-2 arg x) = GPI(-arg x / 2pi) . GPI(0)
        candidates.append([GPIGate(0.0), GPIGate(-cmath.phase(x) / TWO_PI)])
    if ax < tol:
        candidates.append([GPIGate(cmath.phase(1j * y) / TWO_PI)])
    if abs(ax - 1 / math.sqrt(2)) < tol:
        b = cmath.phase(1j * y)
        candidates.append([GPI2Gate(b / TWO_PI)])
        candidates.append([GPI2Gate(cmath.phase(-1j * y) / TWO_PI)])
        candidates.append([GPI2Gate((b + cmath.phase(-x)) / TWO_PI), GPIGate(b / TWO_PI)])
    for sign in (1, -1):
        xs, ys = sign * x, sign * y
        if abs(abs(xs - 0.5) - 0.5) < tol and abs(1 - xs) > tol:
            rel = 1 - 2 * xs  # e^{i(a - b)}
            eb = 2j * ys / (rel + 1)
            b = cmath.phase(eb)
            a = b + cmath.phase(rel)
            candidates.append([GPI2Gate(a / TWO_PI), GPI2Gate(b / TWO_PI)])
    if abs(y) > tol:
        half = math.asin(min(1.0, abs(y)))
        c = -half + cmath.phase(y)
        rest = np.asarray(GPIGate(c / TWO_PI).to_matrix()) @ su
        inner, _ = zero_frame_pulses_2(rest)
        if inner is not None:
            candidates.append(inner + [GPIGate(c / TWO_PI)])
    for pulses in candidates:
        mat = _pulse_matrix(pulses)
        overlap = np.trace(mat @ unitary.conj().T) / 2
        if abs(abs(overlap) - 1) < 1e-9:
            return pulses, cmath.phase(overlap)
    raise ValueError("no pulse sequence found for the final frame")  # pragma: no cover


def zero_frame_pulses_2(unitary: np.ndarray) -> Tuple[Optional[List[Gate]], float]:
    """GPI2 . GPI2 equal to ``unitary`` up to a phase, when it is one (else ``None``)."""
    det = np.linalg.det(unitary)
    su = unitary / cmath.sqrt(det)
    x, y = su[0, 0], su[1, 0]
    for sign in (1, -1):
        xs, ys = sign * x, sign * y
        if abs(abs(xs - 0.5) - 0.5) < 1e-9 and abs(1 - xs) > 1e-9:
            rel = 1 - 2 * xs
            b = cmath.phase(2j * ys / (rel + 1))
            a = b + cmath.phase(rel)
            pulses: List[Gate] = [GPI2Gate(a / TWO_PI), GPI2Gate(b / TWO_PI)]
            mat = _pulse_matrix(pulses)
            overlap = np.trace(mat @ unitary.conj().T) / 2
            if abs(abs(overlap) - 1) < 1e-9:
                return pulses, cmath.phase(overlap)
    return None, 0.0


def to_standins(circuit: QuantumCircuit) -> QuantumCircuit:
    """Rewrite native gates as stand-ins, exactly (the inverse view of :func:`to_native`).

    GPI(p) = RZ(2 pi p) X RZ(-2 pi p); GPI2(p) = e^{-i pi/4} RZ(2 pi p) SX RZ(-2 pi p);
    MS and ZZ as in their definitions. Other instructions are kept.
    """
    out = circuit.copy_empty_like()
    phase = circuit.global_phase
    for inst in circuit.data:
        op, qargs, cargs = inst.operation, inst.qubits, inst.clbits
        name = op.name
        if name in ("gpi", "gpi2"):
            angle = TWO_PI * _param(op.params[0])
            fast_append(out, RZGate(-angle), qargs)
            if name == "gpi":
                fast_append(out, XGate(), qargs)
            else:
                fast_append(out, SXGate(), qargs)
                phase -= math.pi / 4
            fast_append(out, RZGate(angle), qargs)
        elif name == "ms":
            phi0, phi1, theta = (TWO_PI * _param(p) for p in op.params)
            fast_append(out, RZGate(-phi0), [qargs[0]])
            fast_append(out, RZGate(-phi1), [qargs[1]])
            fast_append(out, RXXGate(theta), qargs)
            fast_append(out, RZGate(phi0), [qargs[0]])
            fast_append(out, RZGate(phi1), [qargs[1]])
        elif name == "zz":
            fast_append(out, RZZGate(TWO_PI * _param(op.params[0])), qargs)
        else:
            fast_append(out, op, qargs, cargs)
    out.global_phase = phase
    return out


def native_counts(circuit: QuantumCircuit) -> Dict[str, int]:
    """``{"1q": GPI + GPI2 pulses, "2q": MS + ZZ gates}`` of a native circuit."""
    ops = circuit.count_ops()
    return {
        "1q": int(ops.get("gpi", 0) + ops.get("gpi2", 0)),
        "2q": int(ops.get("ms", 0) + ops.get("zz", 0)),
    }
