"""Shot-by-shot execution of ``ionq.qasm3.v1`` programs: mid-circuit measurement, reset, if.

The emulator's answer to IonQ API v0.4's OpenQASM 3 jobs
(https://docs.ionq.com/api-reference/v0.4/writing-quantum-programs). The program text is
parsed with Qiskit's OpenQASM 3 importer (``qiskit.qasm3.loads``, which needs the
``qiskit-qasm3-import`` package); nothing of the client side of ``qiskit_ionq`` is used, so a
mistake in our exporter and one here cannot cancel out.

How shots are simulated (exact in distribution, cheap in the common case): all shots start
as one *branch* (a state vector plus the shots that follow it). A measurement splits a branch
in two: the number of shots reading 1 is drawn binomially from the Born probability, those
shots are picked at random, and each half continues with its projected, renormalized state.
A reset is an unrecorded measurement followed by X on the 1-half. An ``if`` splits a branch by
the condition's value on each shot's classical bits and runs the body on one part. Noise (a
Pauli error after a gate, a flipped read-out, a leaked ion) splits branches the same way, so
the cost grows with the number of distinct histories, not with shots.

Results are the per-register bits of every shot (``ionq.result.shots.json.v2``) plus the
reserved register ``output_all``, the final read-out of every qubit. A shot in which an ion
leaked (Tempo-class systems detect it) carries a non-zero ``leakage_bits`` mask.

Choices (IonQ does not document them): loops and ``switch`` are refused (the API supports
them on no system); ``if``/``else`` (feed-forward) runs only when the caller allows it (the
emulator's ``feed_forward`` switch, off by default like IonQ's systems today); at most
:data:`MAX_QUBITS` qubits and :data:`MAX_AMPLITUDES` live amplitudes over all branches.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Callable, Dict, List, Optional, Sequence, Tuple

import numpy as np

from .gates import JobFailure, preflight

__all__ = [
    "MAX_AMPLITUDES",
    "MAX_QUBITS",
    "TEMPO_LIKE",
    "NoiseSpec",
    "Program",
    "ShotRecord",
    "parse_program",
    "run_program",
]

MAX_QUBITS = 16
MAX_AMPLITUDES = 1 << 22  # 64 MiB of complex128 over all live branches
OUTPUT_ALL = "output_all"
_SKIP = frozenset({"barrier", "delay", "id", "i", "global_phase"})
_PAULI = {
    "I": np.eye(2, dtype=complex),
    "X": np.array([[0, 1], [1, 0]], dtype=complex),
    "Y": np.array([[0, -1j], [1j, 0]], dtype=complex),
    "Z": np.array([[1, 0], [0, -1]], dtype=complex),
}
_LETTERS = "IXYZ"


@dataclass(frozen=True)
class NoiseSpec:
    """A depolarizing noise model with read-out errors and leakage.

    Attributes:
        p1: probability of a random X/Y/Z after a one-qubit gate.
        p2: probability of a random non-identity two-qubit Pauli after each neighbouring
            pair of a multi-qubit gate's qubits.
        readout: probability that a recorded measurement bit is flipped.
        leakage: probability, per two-qubit gate, that one of its ions leaks; the shot is
            then tagged in ``leakage_bits`` (bit q = qubit q leaked).
    """

    p1: float = 0.0
    p2: float = 0.0
    readout: float = 0.0
    leakage: float = 0.0

    def with_leakage(self, rate: float) -> NoiseSpec:
        """The same model with another leakage rate."""
        return NoiseSpec(self.p1, self.p2, self.readout, float(rate))


# Stand-in figures of the order IonQ publishes for its Tempo systems (99.98% 1q, 99.6% 2q,
# 99.5% SPAM); leakage is off unless asked for, so counts tests need not account for it.
TEMPO_LIKE = NoiseSpec(p1=2e-4, p2=4e-3, readout=5e-3, leakage=0.0)


@dataclass
class Program:
    """A parsed program.

    Attributes:
        circuit: the Qiskit circuit the importer built.
        registers: classical registers in declaration order: ``(name, clbit indices)``.
        num_qubits: the circuit's width.
        uses_control_flow: whether it holds an ``if``.
    """

    circuit: Any
    registers: List[Tuple[str, List[int]]]
    num_qubits: int
    uses_control_flow: bool


@dataclass
class ShotRecord:
    """The outcome of a run.

    Attributes:
        clbits: ``uint8`` (shots, clbits) matrix of the program's classical bits.
        output_all: ``uint8`` (shots, qubits) final read-out of every qubit.
        leakage: ``int64`` per shot, bit q set when qubit q leaked.
        registers: ``(name, clbit indices)`` as in :class:`Program`.
    """

    clbits: np.ndarray
    output_all: np.ndarray
    leakage: np.ndarray
    registers: List[Tuple[str, List[int]]]

    def shots_v2(self) -> Dict[str, Any]:
        """The ``ionq.result.shots.json.v2`` payload: registers as bit lists (bit 0 first)."""
        names = [name for name, _ in self.registers]
        columns = [self.clbits[:, idx].tolist() for _, idx in self.registers]
        out_all = self.output_all.tolist()
        leak = self.leakage.tolist()
        shots = []
        for s in range(len(leak)):
            registers = {name: col[s] for name, col in zip(names, columns)}
            registers[OUTPUT_ALL] = out_all[s]
            shots.append({"registers": registers, "leakage_bits": leak[s]})
        return {"shots": shots}

    def register_counts(self, include_leaked: bool = False) -> Dict[str, Dict[str, int]]:
        """Per-register histograms, keys as bit strings (right-most = bit 0)."""
        keep = np.ones(len(self.leakage), bool) if include_leaked else self.leakage == 0
        out: Dict[str, Dict[str, int]] = {}
        for name, idx in [*self.registers, (OUTPUT_ALL, None)]:
            bits = self.output_all if idx is None else self.clbits[:, idx]
            bits = bits[keep]
            width = bits.shape[1]
            keys = ["".join(map(str, row[::-1])) if width else "" for row in bits.tolist()]
            counts: Dict[str, int] = {}
            for key in keys:
                counts[key] = counts.get(key, 0) + 1
            out[name] = dict(sorted(counts.items()))
        return out

    def histogram_v2(self) -> Dict[str, Any]:
        """``ionq.result.histogram.json.v2``: per-register counts of the unleaked shots."""
        return {"histogram": {"registers": self.register_counts()}}

    def probabilities_v2(self) -> Dict[str, Any]:
        """``ionq.result.probabilities.json.v2``: per-register frequencies (floats)."""
        kept = int((self.leakage == 0).sum())
        regs = {
            name: {k: float(v) / kept for k, v in counts.items()}
            for name, counts in self.register_counts().items()
        }
        return {"probabilities": {"registers": regs}}


def parse_program(text: Any) -> Program:
    """Parse OpenQASM 3 text with Qiskit's importer.

    Raises:
        JobFailure: ``PreflightError`` for text that does not parse, uses loops or
            ``switch``, or is wider than :data:`MAX_QUBITS`.
    """
    if not isinstance(text, str) or not text.strip():
        raise preflight("'input.data' must hold the OpenQASM 3 program text.")
    try:
        from qiskit import qasm3

        circuit = qasm3.loads(text)
    except ImportError as err:  # pragma: no cover - depends on the installation
        raise JobFailure(
            "InternalError", f"the emulator cannot parse OpenQASM 3 here ({err})"
        ) from None
    except Exception as err:
        raise preflight(f"The OpenQASM 3 program does not parse: {err}") from None
    if circuit.num_qubits > MAX_QUBITS:
        raise JobFailure(
            "SimulationError",
            f"The program uses {circuit.num_qubits} qubits; the emulator executes OpenQASM 3 "
            f"programs of at most {MAX_QUBITS} qubits.",
        )
    index = {bit: i for i, bit in enumerate(circuit.clbits)}
    registers = [(reg.name, [index[b] for b in reg]) for reg in circuit.cregs]
    uses_if = _check_instructions(circuit.data)
    return Program(circuit, registers, circuit.num_qubits, uses_if)


def _check_instructions(data: Sequence[Any]) -> bool:
    uses_if = False
    for instruction in data:
        op = instruction.operation
        if op.name in ("while_loop", "for_loop", "switch_case", "box"):
            raise preflight(
                f"OpenQASM 3 '{op.name}' is not supported: IonQ systems run no loops or "
                "switch statements."
            )
        if op.name == "if_else":
            uses_if = True
            for block in op.blocks:
                _check_instructions(block.data)
    return uses_if


class _Branch:
    """One state vector and the shots that follow it."""

    __slots__ = ("shots", "state")

    def __init__(self, state: np.ndarray, shots: np.ndarray) -> None:
        self.state = state
        self.shots = shots


class _Run:
    def __init__(
        self,
        program: Program,
        shots: int,
        rng: np.random.Generator,
        noise: NoiseSpec,
        stop: Optional[Callable[[], None]] = None,
    ) -> None:
        self.stop = stop
        self.n = program.num_qubits
        self.rng = rng
        self.noise = noise
        self.clbits = np.zeros((shots, len(program.circuit.clbits)), dtype=np.uint8)
        self.leakage = np.zeros(shots, dtype=np.int64)
        self.matrices: Dict[int, np.ndarray] = {}
        state = np.zeros(1 << self.n, dtype=complex)
        state[0] = 1.0
        self.branches = [_Branch(state, np.arange(shots))]

    # -- state arithmetic -------------------------------------------------------------
    def _apply(self, state: np.ndarray, matrix: np.ndarray, qubits: Sequence[int]) -> np.ndarray:
        n, k = self.n, len(qubits)
        psi = state.reshape((2,) * n)
        axes = [n - 1 - q for q in reversed(qubits)]
        u = matrix.reshape((2,) * (2 * k))
        out = np.tensordot(u, psi, axes=(list(range(k, 2 * k)), axes))
        return np.moveaxis(out, list(range(k)), axes).reshape(-1)

    def _p1(self, state: np.ndarray, qubit: int) -> float:
        psi = state.reshape((2,) * self.n)
        one = np.take(psi, 1, axis=self.n - 1 - qubit)
        return float(np.clip(np.vdot(one, one).real, 0.0, 1.0))

    def _project(self, state: np.ndarray, qubit: int, value: int) -> np.ndarray:
        psi = state.reshape((2,) * self.n).copy()
        axis = self.n - 1 - qubit
        index: List[Any] = [slice(None)] * self.n
        index[axis] = 1 - value
        psi[tuple(index)] = 0.0
        out = psi.reshape(-1)
        norm = np.linalg.norm(out)
        return out / norm if norm > 0 else out

    def _split(self, branch: _Branch, chosen: np.ndarray) -> Tuple[np.ndarray, np.ndarray]:
        mask = np.zeros(len(branch.shots), dtype=bool)
        mask[chosen] = True
        return branch.shots[mask], branch.shots[~mask]

    def _check_budget(self) -> None:
        if len(self.branches) << self.n > MAX_AMPLITUDES:
            raise JobFailure(
                "SimulationError",
                "The program's measurement and noise histories exceed the emulator's memory "
                "budget; use fewer shots, qubits or mid-circuit measurements.",
            )

    # -- instructions ------------------------------------------------------------------
    def _matrix(self, op: Any) -> np.ndarray:
        key = id(op)
        matrix = self.matrices.get(key)
        if matrix is None:
            from qiskit.quantum_info import Operator

            try:
                matrix = np.asarray(Operator(op).data, dtype=complex)
            except Exception as err:
                raise preflight(f"Gate {op.name!r} cannot be executed: {err}") from None
            self.matrices[key] = matrix
        return matrix

    def gate(self, branches: List[_Branch], op: Any, qubits: List[int]) -> List[_Branch]:
        matrix = self._matrix(op)
        for branch in branches:
            branch.state = self._apply(branch.state, matrix, qubits)
        if len(qubits) == 1:
            return self._pauli_noise(branches, [tuple(qubits)], self.noise.p1)
        pairs = list(zip(qubits, qubits[1:]))
        out = self._pauli_noise(branches, pairs, self.noise.p2)
        if self.noise.leakage > 0:
            for branch in out:
                for pair in pairs:
                    hit = self.rng.random(len(branch.shots)) < self.noise.leakage
                    if hit.any():
                        which = self.rng.integers(0, 2, size=int(hit.sum()))
                        bits = np.array([1 << pair[0], 1 << pair[1]], dtype=np.int64)[which]
                        self.leakage[branch.shots[hit]] |= bits
        return out

    def _pauli_noise(
        self, branches: List[_Branch], groups: Sequence[Tuple[int, ...]], rate: float
    ) -> List[_Branch]:
        if rate <= 0:
            return branches
        for group in groups:
            k = len(group)
            out: List[_Branch] = []
            for branch in branches:
                hits = self.rng.random(len(branch.shots)) < rate
                if not hits.any():
                    out.append(branch)
                    continue
                codes = self.rng.integers(1, 4**k, size=int(hits.sum()))
                hit_shots = branch.shots[hits]
                clean = branch.shots[~hits]
                if len(clean):
                    out.append(_Branch(branch.state, clean))
                for code in np.unique(codes).tolist():
                    state = branch.state
                    for i, q in enumerate(group):
                        letter = _LETTERS[(code >> (2 * i)) & 3]
                        if letter != "I":
                            state = self._apply(state, _PAULI[letter], [q])
                    out.append(_Branch(state, hit_shots[codes == code]))
            branches = out
        self._check_budget()
        return branches

    def measure(
        self, branches: List[_Branch], qubit: int, clbit: Optional[int], reset: bool = False
    ) -> List[_Branch]:
        out: List[_Branch] = []
        x = _PAULI["X"]
        for branch in branches:
            m = len(branch.shots)
            p1 = self._p1(branch.state, qubit)
            ones = int(self.rng.binomial(m, p1)) if 0.0 < p1 < 1.0 else (m if p1 >= 1.0 else 0)
            chosen = self.rng.choice(m, size=ones, replace=False) if 0 < ones < m else None
            if chosen is None:
                parts = [(1, branch.shots)] if ones == m else [(0, branch.shots)]
            else:
                one_shots, zero_shots = self._split(branch, chosen)
                parts = [(1, one_shots), (0, zero_shots)]
            for value, shots in parts:
                state = self._project(branch.state, qubit, value)
                if reset and value == 1:
                    state = self._apply(state, x, [qubit])
                if clbit is not None:
                    recorded = np.full(len(shots), value, dtype=np.uint8)
                    if self.noise.readout > 0:
                        flips = self.rng.random(len(shots)) < self.noise.readout
                        recorded[flips] ^= 1
                    self.clbits[shots, clbit] = recorded
                out.append(_Branch(state, shots))
        self._check_budget()
        return out

    def _condition(self, condition: Any, circuit: Any, shots: np.ndarray) -> np.ndarray:
        from qiskit.circuit import ClassicalRegister

        target, value = condition
        index = {bit: i for i, bit in enumerate(circuit.clbits)}
        if isinstance(target, ClassicalRegister):
            bits = [index[b] for b in target]  # a register: compare its integer value
            number = np.zeros(len(shots), dtype=np.int64)
            for i, b in enumerate(bits):
                number |= self.clbits[shots, b].astype(np.int64) << i
            return number == int(value)
        return self.clbits[shots, index[target]] == int(bool(value))

    def block(
        self, circuit: Any, data: Sequence[Any], branches: List[_Branch], outer: Any
    ) -> List[_Branch]:
        """Run instructions whose bits are ``outer``'s bits (blocks share the outer bits)."""
        qindex = {bit: i for i, bit in enumerate(outer.qubits)}
        cindex = {bit: i for i, bit in enumerate(outer.clbits)}
        for instruction in data:
            if self.stop is not None:
                self.stop()
            op = instruction.operation
            name = op.name
            qubits = [qindex[q] for q in instruction.qubits]
            if name in _SKIP:
                continue
            if name == "measure":
                branches = self.measure(branches, qubits[0], cindex[instruction.clbits[0]])
            elif name == "reset":
                branches = self.measure(branches, qubits[0], None, reset=True)
            elif name == "if_else":
                branches = self._if_else(op, instruction, branches, outer)
            else:
                branches = self.gate(branches, op, qubits)
        return branches

    def _if_else(
        self, op: Any, instruction: Any, branches: List[_Branch], outer: Any
    ) -> List[_Branch]:
        condition = op.condition
        if not isinstance(condition, tuple):
            raise preflight(
                "Only 'if (bit)' and 'if (register == value)' conditions are supported."
            )
        true_body, false_body = op.blocks[0], (op.blocks[1] if len(op.blocks) > 1 else None)
        taken: List[_Branch] = []
        skipped: List[_Branch] = []
        for branch in branches:
            hit = self._condition(condition, outer, branch.shots)
            if hit.all():
                taken.append(branch)
            elif not hit.any():
                skipped.append(branch)
            else:
                taken.append(_Branch(branch.state, branch.shots[hit]))
                skipped.append(_Branch(branch.state, branch.shots[~hit]))
        taken = self._body(true_body, instruction, taken, outer)
        if false_body is not None:
            skipped = self._body(false_body, instruction, skipped, outer)
        return taken + skipped

    def _body(
        self, body: Any, instruction: Any, branches: List[_Branch], outer: Any
    ) -> List[_Branch]:
        if not branches:
            return branches
        # A block's bits are positional stand-ins for the instruction's bits.
        mapping = dict(zip(body.qubits, instruction.qubits))
        mapping.update(zip(body.clbits, instruction.clbits))
        rebuilt = [
            instr.replace(
                qubits=[mapping.get(q, q) for q in instr.qubits],
                clbits=[mapping.get(c, c) for c in instr.clbits],
            )
            for instr in body.data
        ]
        return self.block(body, rebuilt, branches, outer)

    def final_readout(self, branches: List[_Branch], shots: int) -> np.ndarray:
        out = np.zeros((shots, self.n), dtype=np.uint8)
        positions = np.arange(self.n, dtype=np.int64)
        for branch in branches:
            probs = np.abs(branch.state) ** 2
            probs /= probs.sum()
            drawn = self.rng.choice(len(probs), size=len(branch.shots), p=probs)
            bits = ((drawn[:, None] >> positions) & 1).astype(np.uint8)
            if self.noise.readout > 0:
                bits ^= (self.rng.random(bits.shape) < self.noise.readout).astype(np.uint8)
            out[branch.shots] = bits
        return out


def run_program(
    program: Program,
    shots: int,
    *,
    seed: Optional[int] = None,
    noise: Optional[NoiseSpec] = None,
    feed_forward: bool = False,
    stop: Optional[Callable[[], None]] = None,
) -> ShotRecord:
    """Execute ``program`` for ``shots`` shots.

    Args:
        program: from :func:`parse_program`.
        shots: number of shots (>= 1).
        seed: seed of every random draw (``None``: fresh randomness).
        noise: the noise model (``None``: noiseless).
        feed_forward: allow ``if``/``else`` on measured bits.
        stop: called before each instruction; raises to abandon the run (a cancelled job).

    Raises:
        JobFailure: ``PreflightError`` when the program branches and ``feed_forward`` is
            off, ``SimulationError`` when the histories outgrow the memory budget.
    """
    if program.uses_control_flow and not feed_forward:
        raise preflight(
            "The program branches on measured bits (if/else); classical feed-forward is not "
            "available on this backend."
        )
    rng = np.random.default_rng(seed)
    run = _Run(program, int(shots), rng, noise or NoiseSpec(), stop)
    circuit = program.circuit
    branches = run.block(circuit, circuit.data, run.branches, circuit)
    output_all = run.final_readout(branches, int(shots))
    return ShotRecord(run.clbits, output_all, run.leakage, program.registers)
