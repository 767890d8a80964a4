"""The emulator's stand-in compiler, for dry runs: a job's circuit in IonQ's native gates.

A v0.4 dry run (``dry_run: true``) compiles a job without running it and publishes the
compiled program as artifacts in ``output.compilation.compiled_circuits``
(https://docs.ionq.com/api-reference/v0.4/jobs/create-job): ``ionq.native.v1`` (the native
gate list) and ``ionq.qasm3.v1`` (OpenQASM 3 text). IonQ's compiler is its own; this one is a
faithful, simple stand-in built on Qiskit's transpiler (the emulator never uses the client's
serializer or compiler):

1. the job's circuit (its JSON gates as unitaries, or the parsed OpenQASM 3 program) is
   transpiled to ``rz, sx, x`` plus ``rxx`` (MS systems) or ``rzz`` (ZZ systems);
2. ``rz`` becomes a phase frame per qubit (IonQ's "virtual Z"), folded into the phases of the
   following ``gpi2``/``gpi``/``ms`` gates; ``sx`` -> ``gpi2``, ``x`` -> ``gpi``, ``rxx(a)`` ->
   ``ms`` (angle ``|a|/2pi`` turns, split in two above a quarter turn; a negative angle
   flips one phase by half a turn), ``rzz(a)`` -> ``zz`` (angle ``a/2pi``). Frames left at
   the end only rotate about Z before the final measurement and change no probability.

Dynamic programs (mid-circuit measurement, reset, ``if``) get only the OpenQASM 3 artifact:
the native JSON format cannot hold them.
"""

from __future__ import annotations

import math
from typing import Any, Dict, List, Optional

__all__ = ["circuit_from_gates", "compile_circuit"]

_TWO_PI = 2 * math.pi
_DYNAMIC = frozenset({"measure", "reset", "if_else", "while_loop", "for_loop", "switch_case"})


def circuit_from_gates(width: int, gates: List[Any]) -> Any:
    """A Qiskit circuit of the emulator's parsed gates (each op as a (controlled) unitary)."""
    from qiskit import QuantumCircuit
    from qiskit.circuit.library import UnitaryGate

    circuit = QuantumCircuit(max(width, 1))
    for gate in gates:
        for op in gate.ops:
            unitary = UnitaryGate(op.matrix)
            if op.controls:
                circuit.append(unitary.control(len(op.controls)), [*op.controls, *op.targets])
            else:
                circuit.append(unitary, list(op.targets))
    return circuit


def _turns(angle: float) -> float:
    return round((angle / _TWO_PI) % 1.0, 12)


def _native(circuit: Any, two_qubit: str) -> Optional[Dict[str, Any]]:
    """The ``ionq.native.v1`` program of a transpiled circuit (``None`` if it is dynamic)."""
    index = {bit: i for i, bit in enumerate(circuit.qubits)}
    frame = [0.0] * circuit.num_qubits
    gates: List[Dict[str, Any]] = []
    for instruction in circuit.data:
        name = instruction.operation.name
        qubits = [index[q] for q in instruction.qubits]
        params = [float(p) for p in instruction.operation.params]
        if name in _DYNAMIC:
            return None
        if name in ("barrier", "delay", "id"):
            continue
        if name == "rz":
            frame[qubits[0]] += params[0]
        elif name == "sx":
            gates.append({"gate": "gpi2", "target": qubits[0], "phase": _turns(-frame[qubits[0]])})
        elif name == "x":
            gates.append({"gate": "gpi", "target": qubits[0], "phase": _turns(-frame[qubits[0]])})
        elif name == "rxx":
            a, b = qubits
            angle = params[0] / _TWO_PI
            flip = 0.5 if angle < 0 else 0.0
            remaining = abs(angle)
            while remaining > 1e-12:
                step = min(remaining, 0.25)
                gates.append(
                    {
                        "gate": "ms",
                        "targets": [a, b],
                        "phases": [_turns(-frame[a]) + flip, _turns(-frame[b])],
                        "angle": round(step, 12),
                    }
                )
                remaining -= step
        elif name == "rzz":
            gates.append({"gate": "zz", "targets": qubits, "angle": params[0] / _TWO_PI})
        else:  # pragma: no cover - the transpiler's basis holds nothing else
            raise ValueError(f"unexpected gate {name!r} after transpilation")
    return {"gateset": "native", "qubits": circuit.num_qubits, "circuit": gates}


def compile_circuit(circuit: Any, two_qubit: str = "ms") -> Dict[str, Any]:
    """Compile ``circuit`` for a system whose native entangler is ``two_qubit`` (ms or zz).

    Returns:
        ``{"ionq.qasm3.v1": text, "ionq.native.v1": program or None}``.
    """
    from qiskit import qasm3, transpile

    basis = ["rz", "sx", "x", "rzz" if two_qubit == "zz" else "rxx"]
    keep = ["measure", "reset", "delay", "if_else"]
    compiled = transpile(circuit, basis_gates=basis + keep, optimization_level=1, seed_transpiler=0)
    return {
        "ionq.qasm3.v1": str(qasm3.dumps(compiled)),
        "ionq.native.v1": _native(compiled, two_qubit),
    }
