"""Routes between standard and IonQ native gates in Qiskit's session equivalence library.

:func:`add_equivalences` teaches Qiskit's ``BasisTranslator`` (``transpile`` with a
``basis_gates`` list, and other tools that translate circuits, such as
qiskit-braket-provider) how to reach the native gates from the standard ones and back. Every
rule is exact, global phase included:

* native in standard terms: GPI, GPI2 as ``U``; MS as RZ . RXX . RZ; ZZ as RZZ (the gates'
  own definitions, see :mod:`qiskit_ionq.ionq_gates`);
* standard in native terms: RZ, SX, X, RXX, RZZ, U and CX (CX both through MS and through ZZ).

Our own compiler (:mod:`qiskit_ionq.compiler`) does not depend on these for its counts; they
are what a plain ``BasisTranslator`` uses.
"""

from __future__ import annotations

import math
import threading

from qiskit.circuit import Gate, Parameter, QuantumCircuit, QuantumRegister
from qiskit.circuit.equivalence_library import SessionEquivalenceLibrary
from qiskit.circuit.library import CXGate, RXXGate, RZGate, RZZGate, SXGate, UGate, XGate

from .ionq_gates import GPI2Gate, GPIGate, MSGate, ZZGate

__all__ = ["add_equivalences"]

_LOCK = threading.Lock()
_DONE = False
TWO_PI = 2 * math.pi


def _circuit(num_qubits: int, phase: object = 0.0) -> QuantumCircuit:
    return QuantumCircuit(QuantumRegister(num_qubits, "q"), global_phase=phase)


def _add(gate: Gate, circuit: QuantumCircuit) -> None:
    SessionEquivalenceLibrary.add_equivalence(gate, circuit)


def _native_in_standard() -> None:
    phi = Parameter("phi")
    for gate in (GPIGate(phi), GPI2Gate(phi)):
        _add(gate, gate.definition)
    phi0, phi1, theta = Parameter("phi0"), Parameter("phi1"), Parameter("theta")
    ms = MSGate(phi0, phi1, theta)
    _add(ms, ms.definition)
    zz = ZZGate(theta)
    _add(zz, zz.definition)


def _standard_in_native() -> None:
    lam = Parameter("lam")
    # RZ(lam) = GPI(lam / 4pi) . GPI(0): two pi rotations about axes lam/2 apart.
    qc = _circuit(1)
    qc.append(GPIGate(0), [0])
    qc.append(GPIGate(lam / (4 * math.pi)), [0])
    _add(RZGate(lam), qc)
    # SX = e^{i pi/4} RX(pi/2) = e^{i pi/4} GPI2(0);  X = GPI(0).
    qc = _circuit(1, math.pi / 4)
    qc.append(GPI2Gate(0), [0])
    _add(SXGate(), qc)
    qc = _circuit(1)
    qc.append(GPIGate(0), [0])
    _add(XGate(), qc)
    # RXX(t) = MS(0, 0, t / 2pi);  RZZ(t) = ZZ(t / 2pi).
    theta = Parameter("theta")
    qc = _circuit(2)
    qc.append(MSGate(0, 0, theta / TWO_PI), [0, 1])
    _add(RXXGate(theta), qc)
    qc = _circuit(2)
    qc.append(ZZGate(theta / TWO_PI), [0, 1])
    _add(RZZGate(theta), qc)
    # U(t, p, l) = e^{i((p + l)/2 - pi)} GPI((l + t + p + 2pi) / 4pi) GPI(0)
    #              . GPI2(-(l + t + pi) / 2pi) . GPI2(-l / 2pi)   (rightmost first):
    # U = RZ(p + pi) SX RZ(t + pi) SX RZ(l) up to phase, with every RZ moved to the end as a
    # frame (a pulse after RZ(f) takes phase -f / 2pi), and the final frame made physical.
    t, p, lam = Parameter("t"), Parameter("p"), Parameter("l")
    qc = _circuit(1, (p + lam) / 2 - math.pi)
    qc.append(GPI2Gate(-lam / TWO_PI), [0])
    qc.append(GPI2Gate(-(lam + t + math.pi) / TWO_PI), [0])
    qc.append(GPIGate(0), [0])
    qc.append(GPIGate((lam + t + p + TWO_PI) / (2 * TWO_PI)), [0])
    _add(UGate(t, p, lam), qc)
    # CX (control 0, target 1) through one MS and through one ZZ; phases in turns, from
    # qiskit_ionq.compiler at level 3 with exact final frames.
    for circuit in (_cx_ms(), _cx_zz()):
        _add(CXGate(), circuit)


def _cx_ms() -> QuantumCircuit:
    qc = _circuit(2, 7 * math.pi / 4)
    qc.append(GPI2Gate(0), [0])
    qc.append(GPI2Gate(0.25), [0])
    qc.append(MSGate(-0.25, 0, 0.25), [0, 1])
    qc.append(GPI2Gate(0.5), [0])
    qc.append(GPI2Gate(0.5), [1])
    return qc


def _cx_zz() -> QuantumCircuit:
    qc = _circuit(2, 7 * math.pi / 4)
    qc.append(GPI2Gate(-0.25), [1])
    qc.append(ZZGate(-0.25), [0, 1])
    qc.append(GPIGate(0), [0])
    qc.append(GPIGate(0.125), [0])
    qc.append(GPI2Gate(0.5), [1])
    qc.append(GPIGate(0.125), [1])
    return qc


def add_equivalences() -> None:
    """Register the native gates in Qiskit's ``SessionEquivalenceLibrary`` (once per process).

    Safe to call any number of times and from several threads; tools call it at import.
    """
    global _DONE
    if _DONE:
        return
    with _LOCK:
        if _DONE:
            return
        _native_in_standard()
        _standard_in_native()
        _DONE = True
