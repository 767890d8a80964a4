"""One Qiskit circuit -> its ``ionq.circuit.v0`` gate list as JSON text, in one walk. Pure.

Why text and not gate dicts: a job body is sent as JSON, and the dicts were only a step on
the way. For a 100,000-gate circuit building them cost ~0.18 s and ``json.dumps`` another
0.09 s on the 2-core reference machine; writing the text directly costs ~0.09 s in all
(``benchmarks/bench_core.py``, figure a). Three facts make that possible:

* Most gates of a real circuit repeat a (name, qubits) pair, and for the names in
  :data:`~qiskit_ionq.serializer_gates.QIS_QUBITS_ONLY` the gate object depends on nothing
  else: its text is made once by the emitter and reused.
* For :data:`~qiskit_ionq.serializer_gates.QIS_SINGLE_ROTATION` only the trailing
  ``rotation`` number changes; the text before it is kept as a template, checked against the
  emitter's own output when it is made. ``json`` writes a float as ``float.__repr__``, so
  ``prefix + repr(angle) + "}"`` is byte-for-byte what ``json.dumps`` would write.
* Every other instruction goes through its emitter (:mod:`qiskit_ionq.serializer_gates`) and
  is encoded on its own. The emitters stay the single description of the wire format.

:func:`qiskit_circ_to_ionq_circ` (the public, dict-returning form) decodes this text, so the
dicts a tool sees and the bytes the API receives cannot disagree.
"""

from __future__ import annotations

import gc
import json
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any, Dict, Iterator, List, Optional, Set, Tuple

from qiskit.circuit import QuantumCircuit

from ._qiskit_compat import HAS_CONDITIONS
from .exceptions import IonQInvalidOptionError, IonQMidCircuitMeasurementError
from .serializer_gates import (
    NATIVE_EMITTERS,
    QIS_EMITTERS,
    QIS_QUBITS_ONLY,
    QIS_SINGLE_ROTATION,
    Emitter,
    as_float,
    classical_control_error,
    pauliexp_gate,
    resolve_emitter,
)

__all__ = ["GATESETS", "EncodedCircuit", "encode_circuit", "qiskit_circ_to_ionq_circ"]

GATESETS = ("qis", "native")
# Instructions that never touch the quantum state: allowed after a measurement.
_NO_EFFECT = frozenset({"barrier", "id", "i", "delay"})
_ROTATION_KEY = '"rotation":'
_encode = json.JSONEncoder(separators=(",", ":")).encode

Gate = Dict[str, Any]
MeasMap = List[Optional[int]]


@dataclass(frozen=True)
class EncodedCircuit:
    """One circuit, serialized.

    Attributes:
        gates_json: the ``circuit`` gate list as compact JSON text (an array).
        num_measurements: how many ``measure`` instructions the circuit holds.
        meas_map: for each classical bit, the qubit measured into it last, or ``None``.
    """

    gates_json: str
    num_measurements: int
    meas_map: MeasMap


@contextmanager
def gc_paused() -> Iterator[None]:
    """Pause the cyclic garbage collector while building or parsing many small containers.

    Creating 100k gate objects (or parsing them back) triggers generation-2 collections that
    traverse every live object again and again; that tripled the cost in measurements.
    Nothing built here is cyclic, so pausing is safe: reference counting still frees garbage,
    and the previous state is restored.
    """
    was_enabled = gc.isenabled()
    if was_enabled:
        gc.disable()
    try:
        yield
    finally:
        if was_enabled:
            gc.enable()


def _emitter_table(gateset: str, ionq_compiler_synthesis: bool) -> Dict[str, Emitter]:
    if gateset == "native":
        return NATIVE_EMITTERS
    if gateset != "qis":
        raise IonQInvalidOptionError(f"Unknown gateset {gateset!r}: use 'qis' or 'native'.")
    table = dict(QIS_EMITTERS)

    def emit_pauliexp(op: Any, qubits: List[int], out: List[Gate]) -> None:
        out.append(pauliexp_gate(op, qubits, ionq_compiler_synthesis))

    table["PauliEvolution"] = emit_pauliexp
    return table


def _rotation_template(text: str, gates: List[Gate]) -> Optional[str]:
    """The text of a single-rotation gate up to its angle, if it has the promised shape."""
    if len(gates) != 1:
        return None
    tail = f"{_ROTATION_KEY}{gates[0].get('rotation')!r}}}"
    return text[: -len(tail) + len(_ROTATION_KEY)] if text.endswith(tail) else None


def encode_circuit(
    circuit: QuantumCircuit, gateset: str = "qis", ionq_compiler_synthesis: bool = False
) -> EncodedCircuit:
    """Serialize one circuit's gates to JSON text; see the module docstring for how.

    Args:
        circuit: the Qiskit circuit (parameters bound).
        gateset: ``"qis"`` (standard gates, compiled by IonQ) or ``"native"`` (gpi, gpi2, ms,
            zz; the circuit runs as written).
        ionq_compiler_synthesis: let ``pauliexp`` gates with non-commuting terms through, for
            IonQ's compiler to approximate.

    Raises:
        IonQGateError: an instruction outside the gateset.
        IonQMidCircuitMeasurementError: a gate on a qubit after that qubit was measured (IonQ
            measures every qubit once, at the end).
        IonQCircuitError: classical control, an unbound parameter, too many controls, an MS
            angle out of range.
        IonQPauliExponentialError: a PauliEvolutionGate that cannot be sent as ``pauliexp``.
        IonQInvalidOptionError: an unknown gateset.
    """
    table = _emitter_table(gateset, ionq_compiler_synthesis)
    qubits_only = QIS_QUBITS_ONLY if gateset == "qis" else frozenset()
    single_rotation = QIS_SINGLE_ROTATION if gateset == "qis" else frozenset()
    qubit_index = {bit: i for i, bit in enumerate(circuit.qubits)}
    clbit_index = {bit: i for i, bit in enumerate(circuit.clbits)}
    meas_map: MeasMap = [None] * len(clbit_index)
    measured: Set[int] = set()
    num_measurements = 0
    pieces: List[str] = []
    append = pieces.append
    # (name, qargs) -> (JSON text or rotation template, qubit indices, is a template); the
    # indices serve the measurement check.
    cache: Dict[Tuple[Any, ...], Tuple[str, List[int], bool]] = {}
    scratch: List[Gate] = []
    with gc_paused():
        for instruction in circuit.data:
            if HAS_CONDITIONS:
                op = instruction.operation
                name = op.name
                # The private `_condition` backs the `condition` property on every Qiskit < 2;
                # the property itself is deprecated since 1.3 (~1 us and a warning per read).
                if getattr(op, "_condition", None) is not None:
                    raise classical_control_error(name)
            else:
                op = None
                name = instruction.name
            if name == "measure":
                qubit = qubit_index[instruction.qubits[0]]
                meas_map[clbit_index[instruction.clbits[0]]] = qubit
                measured.add(qubit)
                num_measurements += 1
                continue
            if name in _NO_EFFECT:
                continue
            key = (name, instruction.qubits)
            hit = cache.get(key)
            indices = [qubit_index[bit] for bit in key[1]] if hit is None else hit[1]
            if measured and not measured.isdisjoint(indices):
                raise IonQMidCircuitMeasurementError(
                    next(q for q in indices if q in measured), name
                )
            if hit is not None:
                text, _, is_template = hit
                if is_template:
                    params = instruction.params if op is None else op.params
                    text = f"{text}{as_float(params[0], name)!r}}}"
                append(text)
                continue
            # First sight of this (name, qubits), or an instruction that is never reused.
            if op is None:
                op = instruction.operation
            emit = table.get(name)
            if emit is None:
                emit = resolve_emitter(op, gateset)
            emit(op, list(indices), scratch)
            text = ",".join(map(_encode, scratch))
            if name in qubits_only:
                cache[key] = (text, indices, False)
            elif name in single_rotation:
                template = _rotation_template(text, scratch)
                if template is not None:
                    cache[key] = (template, indices, True)
            scratch.clear()
            if text:
                append(text)
    return EncodedCircuit(f"[{','.join(pieces)}]", num_measurements, meas_map)


def qiskit_circ_to_ionq_circ(
    circuit: QuantumCircuit, gateset: str = "qis", ionq_compiler_synthesis: bool = False
) -> Tuple[List[Gate], int, MeasMap]:
    """Serialize one circuit into ``ionq.circuit.v0`` gate objects (dicts).

    The dict form of :func:`encode_circuit` (arguments and errors are the same): the gate
    list is decoded from the very text a job body would carry.

    Returns:
        ``(gates, num_measurements, meas_map)``: the gate dicts; how many ``measure``
        instructions the circuit holds; and for each classical bit the qubit measured into it
        last, or ``None`` when nothing was.
    """
    encoded = encode_circuit(circuit, gateset, ionq_compiler_synthesis)
    with gc_paused():
        gates = json.loads(encoded.gates_json)
    return gates, encoded.num_measurements, list(encoded.meas_map)
