"""Qiskit circuits -> the ``ionq.qasm3.v1`` job input (OpenQASM 3 text). Pure: no I/O.

IonQ's JSON gate format measures every qubit once, at the end. Circuits that measure in the
middle, reset a qubit, reuse a measured qubit, or branch on a measurement (feed-forward) can
only be described to the API as an OpenQASM 3 program (IonQ API v0.4, job type
``ionq.qasm3.v1``; https://docs.ionq.com/api-reference/v0.4/writing-quantum-programs). This
module decides when a circuit needs that (:func:`circuit_requires_qasm3`) and writes the
program and the body parts of such a job (:func:`build_qasm3_parts`).

Choices written down here (the API documents a subset of OpenQASM 3, not its exact text):

* The program is Qiskit's own exporter output (``qiskit.qasm3.dumps``) over the gates of
  ``stdgates.inc`` only: a circuit with other gates is first rewritten into them
  (``transpile`` at optimization level 0, no layout), so no gate definitions are sent.
* Results come back per classical register, by register name, so every classical bit must
  belong to exactly one register whose name is a plain OpenQASM identifier. Classical bits
  that belong to no register are exported in one extra register, :data:`LOOSE_REGISTER`, in
  circuit order; the results layer recovers that from the experiment header alone
  (:func:`program_clbit_labels`). Overlapping registers cannot be told apart in per-register
  results and are refused with an explanation.
* The register :data:`OUTPUT_ALL` is reserved by IonQ (the final read-out of every qubit).
* ``settings.compilation.service_version = "v0.4"`` selects IonQ's compiler stack that
  publishes register-named results and compiled-circuit artifacts.
* One circuit per job: the API has no multi-circuit OpenQASM 3 job type.
"""

from __future__ import annotations

import re
from typing import Any, Dict, List, Optional, Sequence

from qiskit import qasm3, transpile
from qiskit.circuit import ClassicalRegister, QuantumCircuit

from ._qiskit_compat import HAS_CONDITIONS
from .exceptions import IonQCircuitError

__all__ = [
    "LOOSE_REGISTER",
    "OUTPUT_ALL",
    "STDGATES",
    "QASM3_JOB_TYPE",
    "QASM3_COMPILATION",
    "build_qasm3_parts",
    "circuit_requires_qasm3",
    "circuit_to_qasm3",
    "needs_qasm3_fast",
    "program_clbit_labels",
]

QASM3_JOB_TYPE = "ionq.qasm3.v1"
# The compiler stack that returns register-named shots and compiled-circuit artifacts.
QASM3_COMPILATION: Dict[str, Any] = {"service_version": "v0.4"}
LOOSE_REGISTER = "_clbits"
OUTPUT_ALL = "output_all"
# Instructions that leave the quantum state alone: a measured qubit may still carry them.
_NO_EFFECT = frozenset({"barrier", "delay", "id", "i"})
_CONTROL_FLOW = frozenset({"if_else", "while_loop", "for_loop", "switch_case", "box"})
# The gates of OpenQASM 3's standard library ("stdgates.inc") plus the built-in U; anything
# else is rewritten into them before export, so the program needs no gate definitions (part
# of IonQ's supported subset, and Qiskit 0.46's importer cannot read its exporter's
# parameterized definitions).
STDGATES = frozenset(
    {
        "p", "x", "y", "z", "h", "s", "sdg", "t", "tdg", "sx", "rx", "ry", "rz", "cx", "cy",
        "cz", "cp", "crx", "cry", "crz", "ch", "swap", "ccx", "cswap", "cu", "CX", "phase",
        "cphase", "id", "u1", "u2", "u3", "u",
    }
)  # fmt: skip
# What the rewrite targets: names every supported Qiskit line knows as standard gates.
_BASIS = ("p", "x", "y", "z", "h", "s", "sdg", "t", "tdg", "sx", "rx", "ry", "rz", "cx", "cz",
          "cp", "swap", "ccx", "u")  # fmt: skip
_STRUCTURE = frozenset({"measure", "reset", "barrier", "delay", *_CONTROL_FLOW})
# Non-gates the rewrite keeps, named so every Qiskit line accepts them (barriers always pass).
_KEPT = ("measure", "reset", "delay", "if_else", "while_loop", "for_loop", "switch_case")
_IDENTIFIER = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")
# OpenQASM 3 keywords a register cannot be called (the exporter would rename it silently).
_KEYWORDS = frozenset(
    {
        "OPENQASM", "include", "qubit", "qreg", "bit", "creg", "gate", "measure", "reset",
        "barrier", "if", "else", "for", "while", "in", "let", "const", "def", "return",
        "input", "output", "box", "delay", "U", "ctrl", "negctrl", "inv", "pow", "int",
        "uint", "float", "angle", "bool", "complex", "duration", "stretch", "true", "false",
        "break", "continue", "end", "switch", "case", "default", "defcal", "extern", "pi",
    }
)  # fmt: skip


def _has_condition(operation: Any) -> bool:
    # The private attribute backs the deprecated `condition` property on Qiskit < 2 (reading
    # the property warns on 1.3+); Qiskit 2 has no conditions at all.
    return HAS_CONDITIONS and getattr(operation, "_condition", None) is not None


def _measured_then_used(circuit: QuantumCircuit, measurements: int) -> bool:
    """Whether a measured qubit is used again by a gate, walking from the end.

    A circuit measures at its end in the common case, so walking backwards meets every
    measurement after a few instructions and stops there: the cost is the final read-out,
    not the circuit (a forward walk took ~0.8 s for 100k gates; this one ~0.1 ms).
    """
    if not measurements:
        return False
    data = circuit.data
    used_later: set = set()
    seen = 0
    for i in range(len(data) - 1, -1, -1):
        instruction = data[i]
        name = instruction.operation.name
        if name == "measure":
            if instruction.qubits[0] in used_later:
                return True
            seen += 1
            if seen == measurements:
                return False
        elif name not in _NO_EFFECT:
            used_later.update(instruction.qubits)
    return False


def needs_qasm3_fast(circuit: QuantumCircuit) -> bool:
    """:func:`circuit_requires_qasm3` without looking for classical conditions (``c_if``).

    What the submit path uses: a condition needs a walk of every instruction on Qiskit < 2,
    and the JSON serializer walks them anyway and refuses conditions (the submit path then
    falls back to OpenQASM 3 where the API has it).
    """
    ops = circuit.count_ops()  # counted in Rust on recent Qiskit: no walk
    if "reset" in ops or not _CONTROL_FLOW.isdisjoint(ops):
        return True
    return _measured_then_used(circuit, int(ops.get("measure", 0)))


def circuit_requires_qasm3(circuit: QuantumCircuit) -> bool:
    """Whether ``circuit`` can only be sent as OpenQASM 3 (not as IonQ's JSON gate list).

    True for a gate on a qubit after that qubit was measured, a ``reset``, a classically
    conditioned gate, or a control-flow block (if/else, loops, switch). Such circuits run on
    API v0.4 as ``ionq.qasm3.v1`` jobs. (Measuring a measured qubit again is not
    mid-circuit: the JSON path's measurement map gives both classical bits the final
    read-out.)
    """
    if needs_qasm3_fast(circuit):
        return True
    return HAS_CONDITIONS and any(_has_condition(i.operation) for i in circuit.data)


def _check_registers(circuit: QuantumCircuit) -> List[Any]:
    """Check the classical registers can carry per-register results; return the loose bits."""
    owner: Dict[Any, str] = {}
    for register in circuit.cregs:
        name = register.name
        if not _IDENTIFIER.match(name) or name in _KEYWORDS:
            raise IonQCircuitError(
                f"Classical register {name!r} of circuit {circuit.name!r} is not a valid "
                "OpenQASM 3 identifier (letters, digits and '_', not a keyword); results come "
                "back by register name, so rename it (e.g. ClassicalRegister(n, 'm0'))."
            )
        if name in (OUTPUT_ALL, LOOSE_REGISTER):
            raise IonQCircuitError(
                f"Classical register name {name!r} is reserved (IonQ returns the final "
                f"read-out as {OUTPUT_ALL!r}; qiskit_ionq uses {LOOSE_REGISTER!r}); rename it."
            )
        for bit in register:
            if bit in owner:
                raise IonQCircuitError(
                    f"Classical registers {owner[bit]!r} and {name!r} of circuit "
                    f"{circuit.name!r} share bits; OpenQASM 3 results are reported per "
                    "register, so give every classical bit exactly one register."
                )
            owner[bit] = name
    return [bit for bit in circuit.clbits if bit not in owner]


def circuit_to_qasm3(circuit: QuantumCircuit) -> str:
    """The OpenQASM 3 program of ``circuit``, as sent in ``input.data``.

    Raises:
        IonQCircuitError: overlapping or badly named classical registers, an unbound
            parameter, or an instruction Qiskit's exporter cannot write.
    """
    loose = _check_registers(circuit)
    if circuit.parameters:
        names = ", ".join(sorted(p.name for p in circuit.parameters))
        raise IonQCircuitError(
            f"Circuit {circuit.name!r} has unbound parameters ({names}); bind them with "
            "circuit.assign_parameters(...) before running it."
        )
    export = circuit
    if loose:
        export = circuit.copy()
        export.add_register(ClassicalRegister(name=LOOSE_REGISTER, bits=loose))
    try:
        if not _only_standard_gates(export):
            export = transpile(export, basis_gates=[*_BASIS, *_KEPT], optimization_level=0)
        return str(qasm3.dumps(export))
    except Exception as err:  # the exporter has several error classes across Qiskit lines
        raise IonQCircuitError(
            f"Circuit {circuit.name!r} cannot be written as OpenQASM 3 ({err}). Transpile it "
            "to standard gates first, e.g. transpile(circuit, backend)."
        ) from err


def _only_standard_gates(circuit: QuantumCircuit) -> bool:
    for instruction in circuit.data:
        operation = instruction.operation
        blocks = getattr(operation, "blocks", None)
        if blocks:
            if not all(_only_standard_gates(block) for block in blocks):
                return False
        elif operation.name not in STDGATES and operation.name not in _STRUCTURE:
            return False
    return True


def program_clbit_labels(header: Dict[str, Any]) -> List[List[Any]]:
    """For each classical bit, ``[register name, index]`` in the program that was sent.

    The header's ``clbit_labels`` with bits of no register (``[None, i]``) renamed to their
    place in :data:`LOOSE_REGISTER`, as :func:`circuit_to_qasm3` exported them.
    """
    labels: List[List[Any]] = []
    loose = 0
    for label in header.get("clbit_labels") or []:
        name, index = label[0], label[1]
        if name is None:
            labels.append([LOOSE_REGISTER, loose])
            loose += 1
        else:
            labels.append([name, int(index)])
    return labels


def build_qasm3_parts(
    circuits: Sequence[QuantumCircuit], settings: Optional[Dict[str, Any]] = None
) -> Dict[str, Any]:
    """The body parts of an ``ionq.qasm3.v1`` job: ``type``, ``input`` and ``settings``.

    Args:
        circuits: the job's circuits (exactly one).
        settings: the job's other settings (``error_mitigation`` ...); the compilation
            settings the program needs are merged in (the user's own ``compilation`` keys win).

    Raises:
        IonQCircuitError: more than one circuit, or a circuit that cannot be exported.
    """
    if len(circuits) != 1:
        raise IonQCircuitError(
            f"{len(circuits)} circuits need OpenQASM 3 (mid-circuit measurement, reset or "
            "classical control), and IonQ's API runs one OpenQASM 3 program per job: submit "
            "them as separate jobs (one backend.run per circuit)."
        )
    circuit = circuits[0]
    merged: Dict[str, Any] = dict(settings or {})
    merged["compilation"] = {**QASM3_COMPILATION, **dict(merged.get("compilation") or {})}
    return {
        "type": QASM3_JOB_TYPE,
        "input": {"data": circuit_to_qasm3(circuit), "qubits": circuit.num_qubits},
        "settings": merged,
    }
