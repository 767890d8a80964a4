"""Gate tables of the serializer: one Qiskit instruction -> ``ionq.circuit.v0`` gate objects.

The circuit walk in :mod:`qiskit_ionq.serializer` looks each instruction's name up in
:data:`QIS_EMITTERS` or :data:`NATIVE_EMITTERS` (one dict lookup per gate, no ``isinstance``
chains) and calls the emitter found there. An emitter has the signature
``emit(op, qubits, out)``: ``op`` is the Qiskit operation, ``qubits`` the circuit indices of
its qargs (a fresh list the emitter may keep) and ``out`` the list it appends gate dicts to.
Names that are not in the tables go through :func:`resolve_emitter`, which handles Qiskit's
generic controlled gates (``c3h``, ``cs``, open controls, annotated controls) and the errors.
``PauliEvolution`` is bound per call (it depends on ``ionq_compiler_synthesis``), see
:func:`pauliexp_gate`.

The phase gate family (``p``, ``cp``, ``mcp``) is sent as ``rz`` gates plus a compensating
phase on the controls, never as the undocumented ``z`` with ``rotation``: see
:func:`emit_multi_controlled_phase` for the construction and why it is exact.

Wire format (``docs/reference/ionq-api.md`` §4): QIS gates always carry ``targets`` (a list), carry
``controls`` (a list) only when controlled, and ``rotation`` in radians; native gates carry
phases and angles in turns. Every number goes through ``float()`` so the JSON never holds a
numpy scalar or a Qiskit parameter object.
"""

from __future__ import annotations

import math
from typing import Any, Callable, Dict, List, Optional, Tuple

import numpy as np
from qiskit.circuit import ControlModifier
from qiskit.quantum_info import Pauli, SparsePauliOp

from .exceptions import IonQCircuitError, IonQGateError, IonQPauliExponentialError

__all__ = [
    "MAX_CONTROLS",
    "CONTROLLABLE_BASES",
    "CLASSICAL_CONTROL_FLOW",
    "Emitter",
    "QIS_EMITTERS",
    "NATIVE_EMITTERS",
    "QIS_QUBITS_ONLY",
    "QIS_SINGLE_ROTATION",
    "as_float",
    "emit_multi_controlled_phase",
    "pauliexp_gate",
    "resolve_emitter",
]

Gate = Dict[str, Any]
Emitter = Callable[[Any, List[int], List[Gate]], None]

# The API allows "up to seven" controls on any QIS gate except swap (ionq-api.md §4.1).
MAX_CONTROLS = 7

# Base gates a (multi-)controlled Qiskit gate may have, and their QIS name. `p` is special:
# it goes through the phase encoding below. `swap` is deliberately absent (no controlled swap).
CONTROLLABLE_BASES: Dict[str, str] = {
    "x": "x",
    "y": "y",
    "z": "z",
    "h": "h",
    "s": "s",
    "sdg": "si",
    "t": "t",
    "tdg": "ti",
    "sx": "v",
    "sxdg": "vi",
    "rx": "rx",
    "ry": "ry",
    "rz": "rz",
    "p": "p",
}
_ROTATION_BASES = frozenset({"rx", "ry", "rz"})

# Classical control flow: IonQ measures only at the end, so none of it can run.
CLASSICAL_CONTROL_FLOW = frozenset(
    {"if_else", "while_loop", "for_loop", "switch_case", "break_loop", "continue_loop"}
)

# Relative tolerance below which an imaginary part of a pauliexp coefficient is rounding noise.
_IMAG_TOLERANCE = 1e-10
# Slack on the MS angle range, so that 0.25 computed as e.g. pi/4 / pi is not refused.
_MS_ANGLE_SLACK = 1e-12


def classical_control_error(name: str) -> IonQCircuitError:
    """The error for a classically conditioned gate or a control-flow block."""
    return IonQCircuitError(
        f"The circuit uses classical control ({name!r}): IonQ does not support classical "
        "control (conditions, if/else, loops), because every qubit is measured once at the "
        "end. Remove the condition or control-flow block from the circuit."
    )


def as_float(value: Any, gate_name: str) -> float:
    """Return a gate parameter as a Python float, or explain why it cannot be one.

    Args:
        value: a number, numpy scalar or (bound) Qiskit ``ParameterExpression``.
        gate_name: the Qiskit instruction name, for the error message.

    Raises:
        IonQCircuitError: the parameter is unbound (naming it and how to bind it), complex,
            infinite or NaN (JSON has no such numbers).
    """
    try:
        number = float(value)
    except (TypeError, ValueError):
        pass
    else:
        if math.isfinite(number):
            return number
        raise IonQCircuitError(f"Gate {gate_name!r} has a non-finite parameter ({number}).")
    unbound = sorted(str(p) for p in getattr(value, "parameters", ()))
    if unbound:
        raise IonQCircuitError(
            f"Gate {gate_name!r} has unbound parameter(s) {', '.join(unbound)}: IonQ needs "
            "numbers. Bind them first, e.g. circuit = circuit.assign_parameters({...})."
        ) from None
    raise IonQCircuitError(
        f"Gate {gate_name!r} has a parameter that is not a real number: {value!r}."
    ) from None


def _too_many_controls(gate_name: str, n_controls: int) -> IonQCircuitError:
    return IonQCircuitError(
        f"Gate {gate_name!r} has {n_controls} control qubits; IonQ accepts at most "
        f"{MAX_CONTROLS}. Decompose it into gates with fewer controls first "
        "(e.g. circuit.decompose() or qiskit.transpile with a smaller basis)."
    )


# --------------------------------------------------------------------------------------------
# QIS emitters
# --------------------------------------------------------------------------------------------


def _fixed(ionq_name: str) -> Emitter:
    """A gate without parameters or controls, e.g. ``sdg`` -> ``si``; all qargs are targets."""

    def emit(op: Any, qubits: List[int], out: List[Gate]) -> None:
        out.append({"gate": ionq_name, "targets": qubits})

    return emit


def _rotation(ionq_name: str) -> Emitter:
    """A rotation (rx, ry, rz, rxx, ryy, rzz): its angle in radians is the ``rotation``."""

    def emit(op: Any, qubits: List[int], out: List[Gate]) -> None:
        out.append(
            {"gate": ionq_name, "targets": qubits, "rotation": as_float(op.params[0], op.name)}
        )

    return emit


def _controlled(ionq_name: str, rotation: bool = False) -> Emitter:
    """A named controlled gate with closed controls: all qargs but the last are controls.

    Qiskit appends ``_o<state>`` to the name of a gate with open controls, so a name found in
    the table always means "act when every control is 1", which is what the API does.
    """

    def emit(op: Any, qubits: List[int], out: List[Gate]) -> None:
        if len(qubits) > MAX_CONTROLS + 1:
            raise _too_many_controls(op.name, len(qubits) - 1)
        gate: Gate = {"gate": ionq_name, "targets": [qubits[-1]], "controls": qubits[:-1]}
        if rotation:
            gate["rotation"] = as_float(op.params[0], op.name)
        out.append(gate)

    return emit


def emit_multi_controlled_phase(
    lam: float, controls: List[int], target: int, out: List[Gate]
) -> None:
    """Append gates equal (up to global phase) to ``p(lam)`` on ``target`` under ``controls``.

    Why not ``{"gate": "z", "rotation": lam}`` as the original client sent? The API documents
    ``z`` as a plain Pauli and ``rotation`` only for rx/ry/rz, so what the server does with a
    rotation on ``z`` is unknown (ionq-api.md §8.8). We only use documented gates:

    * ``p(lam) = e^{i lam/2} rz(lam)``: uncontrolled, ``rz`` is exact up to global phase.
    * Controlled, the factor ``e^{i lam/2}`` is no longer global: it appears exactly when every
      control is 1. So ``mcp_C(lam)`` on t = ``mcrz_C(lam)`` on t, times a phase ``e^{i lam/2}``
      on the all-controls-one subspace, which is ``mcp_{C[:-1]}(lam/2)`` on the last control.
      We emit the controlled ``rz`` and recurse on that compensation until no control is left;
      the final uncontrolled ``rz`` carries the only (global) phase difference.

    ``k`` controls give ``k + 1`` diagonal gates (they commute, so the order is irrelevant).
    """
    controls = list(controls)
    while controls:
        out.append({"gate": "rz", "targets": [target], "controls": controls, "rotation": lam})
        lam /= 2.0
        target = controls[-1]
        controls = controls[:-1]
    out.append({"gate": "rz", "targets": [target], "rotation": lam})


def _phase(op: Any, qubits: List[int], out: List[Gate]) -> None:
    """``p``, ``cp``, ``mcp``, ``mcphase``: see :func:`emit_multi_controlled_phase`."""
    if len(qubits) > MAX_CONTROLS + 1:
        raise _too_many_controls(op.name, len(qubits) - 1)
    emit_multi_controlled_phase(as_float(op.params[0], op.name), qubits[:-1], qubits[-1], out)


def _ignore(op: Any, qubits: List[int], out: List[Gate]) -> None:
    """Identity-like instructions (identity, delay, barrier): nothing to send."""


# Fixed (parameterless) QIS gates: the controllable ones without angles, plus swap.
_SIMPLE_QIS = {
    **{
        name: ionq
        for name, ionq in CONTROLLABLE_BASES.items()
        if name not in ("rx", "ry", "rz", "p")
    },
    "swap": "swap",
}

_CONTROLLED_FIXED = {
    **{name: "x" for name in ("cx", "cnot", "ccx", "toffoli", "mcx", "mct", "mcx_gray")},
    "cy": "y",
    "cz": "z",
    "ch": "h",
    "csx": "v",
}
_ROTATIONS = {"rx": "rx", "ry": "ry", "rz": "rz", "rxx": "xx", "ryy": "yy", "rzz": "zz"}
_CONTROLLED_ROTATIONS = {"crx": "rx", "cry": "ry", "crz": "rz"}

QIS_EMITTERS: Dict[str, Emitter] = {
    **{name: _fixed(ionq) for name, ionq in _SIMPLE_QIS.items()},
    **{name: _rotation(ionq) for name, ionq in _ROTATIONS.items()},
    **{name: _controlled(ionq) for name, ionq in _CONTROLLED_FIXED.items()},
    **{name: _controlled(ionq, rotation=True) for name, ionq in _CONTROLLED_ROTATIONS.items()},
    **{name: _phase for name in ("p", "cp", "mcp", "mcphase")},
    **{name: _ignore for name in ("id", "i", "delay", "barrier")},
}
"""Qiskit name -> emitter for the QIS gateset (``PauliEvolution`` is added per call)."""

QIS_QUBITS_ONLY = frozenset({*_SIMPLE_QIS, *_CONTROLLED_FIXED})
"""QIS names whose gate objects depend on the qubits alone (never on ``op.params``).

The circuit walk encodes such a gate once per (name, qubits) and reuses the JSON text."""

QIS_SINGLE_ROTATION = frozenset({*_ROTATIONS, *_CONTROLLED_ROTATIONS})
"""QIS names whose emitter appends exactly one gate object, ending in
``"rotation": as_float(op.params[0])``: for a given (name, qubits) only that number changes,
so the circuit walk keeps the text before it as a template."""


# --------------------------------------------------------------------------------------------
# Generic controlled gates (Qiskit's ControlledGate with a supported base gate)
# --------------------------------------------------------------------------------------------


def _control_structure(op: Any) -> Optional[Tuple[Any, int, int]]:
    """``(base gate, number of controls, ctrl_state)`` of a controlled operation, else None.

    Understands Qiskit's ``ControlledGate`` (``base_gate``, ``num_ctrl_qubits``,
    ``ctrl_state``) and an ``AnnotatedOperation`` made only of control modifiers (what
    ``Gate.control(..., annotated=True)`` returns, the default from Qiskit 3). Each control
    modifier puts its controls *before* the qubits it wraps, so its ctrl_state bits become the
    low bits of the combined state.
    """
    if op.name == "annotated":
        inner = _control_structure(op.base_op)
        base, n_ctrl, state = inner if inner is not None else (op.base_op, 0, 0)
        for modifier in op.modifiers:
            if not isinstance(modifier, ControlModifier):
                return None  # inverse / power modifiers: not a plain controlled gate
            k = modifier.num_ctrl_qubits
            mod_state = (1 << k) - 1 if modifier.ctrl_state is None else modifier.ctrl_state
            state = int(mod_state) | (state << k)
            n_ctrl += k
        return (base, n_ctrl, state) if n_ctrl else None
    base = getattr(op, "base_gate", None)
    n_ctrl = getattr(op, "num_ctrl_qubits", 0)
    if base is None or not n_ctrl:
        return None
    return base, n_ctrl, int(op.ctrl_state)


def _emit_controlled(
    gate_name: str, base: Any, n_ctrl: int, ctrl_state: int, qubits: List[int], out: List[Gate]
) -> None:
    """Emit ``base`` on the last qubit controlled by the first ``n_ctrl`` ones.

    Open controls (ctrl_state bit 0) become closed ones with an ``x`` before and after on that
    control, which is exact; the API only has controls that fire on 1.
    """
    if n_ctrl > MAX_CONTROLS:
        raise _too_many_controls(gate_name, n_ctrl)
    controls, target = qubits[:n_ctrl], qubits[n_ctrl]
    flips = [controls[i] for i in range(n_ctrl) if not (ctrl_state >> i) & 1]
    for qubit in flips:
        out.append({"gate": "x", "targets": [qubit]})
    base_name = base.name
    if base_name == "p":
        emit_multi_controlled_phase(as_float(base.params[0], gate_name), controls, target, out)
    else:
        gate: Gate = {
            "gate": CONTROLLABLE_BASES[base_name],
            "targets": [target],
            "controls": controls,
        }
        if base_name in _ROTATION_BASES:
            gate["rotation"] = as_float(base.params[0], gate_name)
        out.append(gate)
    for qubit in flips:
        out.append({"gate": "x", "targets": [qubit]})


# --------------------------------------------------------------------------------------------
# pauliexp
# --------------------------------------------------------------------------------------------


def _as_sparse_pauli_op(operator: Any) -> SparsePauliOp:
    """Sum a PauliEvolutionGate operator (one operator or a list of them) into a SparsePauliOp."""
    if isinstance(operator, (list, tuple)):
        return SparsePauliOp.sum([_as_sparse_pauli_op(part) for part in operator])
    if isinstance(operator, SparsePauliOp):
        return operator
    if isinstance(operator, Pauli):
        return SparsePauliOp(operator)
    # Newer Qiskit also evolves a SparseObservable; it converts to Paulis exactly.
    convert = getattr(SparsePauliOp, "from_sparse_observable", None)
    if convert is not None and type(operator).__name__ == "SparseObservable":
        return convert(operator)
    raise IonQPauliExponentialError(
        f"Cannot read the operator of the PauliEvolutionGate ({type(operator).__name__}); "
        "use a SparsePauliOp."
    )


def _terms_commute(paulis: Any) -> bool:
    """True when every pair of Pauli strings commutes (symplectic inner products all even)."""
    x = np.asarray(paulis.x, dtype=np.int64)
    z = np.asarray(paulis.z, dtype=np.int64)
    return not np.any((x @ z.T + z @ x.T) & 1)


def pauliexp_gate(op: Any, qubits: List[int], ionq_compiler_synthesis: bool) -> Gate:
    """Encode a ``PauliEvolutionGate`` as the API's ``pauliexp`` (ionq-api.md §4.4).

    Qiskit's gate is ``exp(-i t H)`` with ``H = sum_k c_k P_k``, exactly the API's meaning.
    Qiskit Pauli labels are little-endian (rightmost character = the gate's first qubit) and
    so are the API's terms (rightmost character = ``targets[0]``), so labels map unchanged.

    Raises:
        IonQPauliExponentialError: complex coefficients, or terms that do not commute while
            ``ionq_compiler_synthesis`` is False (IonQ would have to approximate them).
        IonQCircuitError: the evolution time is an unbound parameter.
    """
    sparse = _as_sparse_pauli_op(op.operator)
    paulis = sparse.paulis
    coeffs = np.asarray(sparse.coeffs, dtype=complex)
    phase = np.asarray(paulis.phase)
    if np.any(phase):
        # A PauliList may carry a group phase (-i)^q per term; move it into the coefficient.
        coeffs = coeffs * (-1j) ** phase
    scale = max(1.0, float(np.max(np.abs(coeffs)))) if coeffs.size else 1.0
    if np.any(np.abs(coeffs.imag) > _IMAG_TOLERANCE * scale):
        raise IonQPauliExponentialError(
            "The PauliEvolutionGate has complex coefficients; pauliexp needs a Hermitian "
            f"operator with real coefficients (got {coeffs.tolist()})."
        )
    if not ionq_compiler_synthesis and not _terms_commute(paulis):
        raise IonQPauliExponentialError(
            "The terms of the PauliEvolutionGate do not commute, so exp(-i t H) cannot be "
            "sent exactly as a pauliexp. Pass ionq_compiler_synthesis=True to let IonQ "
            "synthesize an approximation, or decompose the gate (e.g. with a product formula) "
            "before running."
        )
    time = as_float(op.time, op.name)
    real = coeffs.real
    if time < 0:
        # The API wants time >= 0: exp(-i t H) = exp(-i |t| (-H)).
        time, real = -time, -real
    # Phase prefixes ("-", "i", "-i") are lower case or '-', Pauli letters upper case.
    terms = [label.lstrip("-i") for label in paulis.to_labels()]
    return {
        "gate": "pauliexp",
        "targets": qubits,
        "terms": terms,
        "coefficients": [float(c) for c in real],
        "time": time + 0.0,  # + 0.0 turns -0.0 into 0.0
    }


# --------------------------------------------------------------------------------------------
# Native emitters (phases and angles in turns)
# --------------------------------------------------------------------------------------------


def _turns(value: Any, gate_name: str) -> float:
    """A phase in turns, folded into the API's range -1..1 when outside (exact: period 1)."""
    phase = as_float(value, gate_name)
    if -1.0 <= phase <= 1.0:
        return phase
    return math.fmod(phase, 1.0)


def _gpi(op: Any, qubits: List[int], out: List[Gate]) -> None:
    out.append({"gate": op.name, "target": qubits[0], "phase": _turns(op.params[0], op.name)})


def _ms(op: Any, qubits: List[int], out: List[Gate]) -> None:
    """MS(phi0, phi1, theta), sent as one or two MS gates with angles in the API's 0..0.25.

    MS(phi0, phi1, theta) = exp(-i pi theta sigma_phi0 (x) sigma_phi1) with
    (sigma_phi0 (x) sigma_phi1)^2 = I, so: theta has period 1 up to a global phase (-1);
    MS(phi0, phi1, -theta) = MS(phi0 + 0.5, phi1, theta) (half a turn flips sigma_phi0); and
    MS gates on the same phases add their angles. Hence any theta becomes |theta'| <= 0.5
    after folding, then at most two MS gates of <= 0.25 each, exactly. This matters for
    ``qiskit.transpile``: its rxx(theta) -> MS(0, 0, theta / 2pi) rule yields any angle.
    """
    phi0 = as_float(op.params[0], op.name)
    phi1 = as_float(op.params[1], op.name)
    theta = as_float(op.params[2], op.name) if len(op.params) > 2 else 0.25
    if not -_MS_ANGLE_SLACK <= theta <= 0.25 + _MS_ANGLE_SLACK:
        theta = (theta + 0.5) % 1.0 - 0.5  # into [-0.5, 0.5): a whole turn is global phase
        if theta < 0:
            theta, phi0 = -theta, phi0 + 0.5
    phases = [_turns(phi0, op.name), _turns(phi1, op.name)]
    if theta > 0.25 + _MS_ANGLE_SLACK:
        out.append({"gate": "ms", "targets": qubits, "phases": list(phases), "angle": 0.25})
        theta -= 0.25
    theta = min(max(theta, 0.0), 0.25)
    out.append({"gate": "ms", "targets": qubits, "phases": phases, "angle": theta})


def _zz(op: Any, qubits: List[int], out: List[Gate]) -> None:
    out.append({"gate": "zz", "targets": qubits, "angle": as_float(op.params[0], op.name)})


NATIVE_EMITTERS: Dict[str, Emitter] = {
    "gpi": _gpi,
    "gpi2": _gpi,
    "ms": _ms,
    "zz": _zz,
    **{name: _ignore for name in ("id", "i", "delay", "barrier")},
}
"""Qiskit name -> emitter for the native gateset."""


# --------------------------------------------------------------------------------------------
# Fallback resolution for names not in the tables
# --------------------------------------------------------------------------------------------


def resolve_emitter(op: Any, gateset: str) -> Emitter:
    """Find the emitter for an instruction whose name is not in the gateset's table.

    Returns an emitter for a QIS controlled gate (``ControlledGate`` or annotated with control
    modifiers) whose base gate the API can control; raises the right error for anything else.

    Raises:
        IonQCircuitError: classical control flow.
        IonQGateError: any other unsupported instruction (``cswap``, ``u``, ``reset``...).
    """
    name = op.name
    if name in CLASSICAL_CONTROL_FLOW:
        raise classical_control_error(name)
    if gateset == "qis":
        structure = _control_structure(op)
        if structure is not None:
            base, n_ctrl, ctrl_state = structure
            if base.name in CONTROLLABLE_BASES and op.num_qubits == n_ctrl + 1:

                def emit(op: Any, qubits: List[int], out: List[Gate]) -> None:
                    _emit_controlled(op.name, base, n_ctrl, ctrl_state, qubits, out)

                return emit
    raise IonQGateError(name, gateset)
