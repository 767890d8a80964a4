"""How a job runs: job-level settings, noise models and Pauli-error trajectories.

Job-level settings of the body (§§3.1-3.7): target and qubit ceilings, ``noise``,
``shots``, ``error_mitigation`` (debiasing and its aggregations), and the circuit containers
of ``input``; the gate objects inside them are the simulator's business.

docs/reference/ionq-api.md §3.5: a noise model is a depolarizing channel after every ideal gate. The
one-qubit channel with rate r1 has Kraus operators sqrt(1 - 3 r1/4) I and sqrt(r1/4) {X, Y, Z},
i.e. each of X, Y, Z happens with probability r1/4; the two-qubit channel with rate r2 applies
each of the 15 non-identity Pauli pairs with probability r2/16.

Choices made here (documented because IonQ's documentation leaves them open):

* Harmony's formula is undisclosed (§3.5); we use the stand-in rates r1 = 0.001,
  r2 = 0.02 (roughly Harmony's published 1q/2q fidelities).
* A gate touching one qubit gets the 1q channel. A gate touching k >= 2 qubits (controls count)
  gets one 2q channel on each neighbouring pair of its qubit list (controls then targets),
  i.e. k - 1 channels: a CCX sees more noise than a CX, as it would after compilation, without
  pretending to know IonQ's decompositions.
* ``qpu.*`` targets behave like the matching noise model (the emulator has no hardware);
  ``forte-enterprise-1`` uses forte-1's rates and bare ``qpu`` means ``qpu.aria-1``.

Simulation strategy (see :func:`sample_trajectories`): a channel is a random Pauli applied
with some probability, so every shot is one pure-state trajectory with its own pattern of
Pauli errors. Patterns are sampled per shot up front (vectorised over channels), identical
patterns are grouped (most shots share the error-free one), and the simulator evolves each
distinct pattern once, then samples that pattern's shots from its probabilities. This is
exactly the per-shot trajectory simulation IonQ describes, at the cost of the distinct
patterns only.
"""

from __future__ import annotations

import json
from collections import Counter
from dataclasses import dataclass
from typing import Any, Dict, List, Optional, Sequence, Tuple

import numpy as np

from .gates import Gate, JobFailure, checkpoint, pauli_op, preflight
from .statevector import Runner, States, probabilities

# (r1, r2) per model, §3.5 (the repeating decimals written as exact fractions).
RATES: Dict[str, Tuple[float, float]] = {
    "harmony": (0.001, 0.02),  # stand-in, see module docstring
    "aria-1": (0.0005, 0.0133),
    "aria-2": (0.001972 / 3, 0.01856),  # 0.000657333...
    "forte-1": (0.0008 / 3, 0.014848 / 3),  # 0.000266667..., 0.004949333...
}
RATES["forte-enterprise-1"] = RATES["forte-1"]

# Qubit ceilings, §3.7 (targets) and 3.5 (noise models; forte-1 simulation capped at 29).
TARGET_QUBITS: Dict[str, int] = {
    "simulator": 29,
    "qpu": 25,
    "qpu.harmony": 11,
    "qpu.aria-1": 25,
    "qpu.aria-2": 25,
    "qpu.forte-1": 36,
    "qpu.forte-enterprise-1": 36,
    "qpu.tempo-1": 12,
}
MODEL_QUBITS: Dict[str, int] = {
    "ideal": 29,
    "harmony": 11,
    "aria-1": 25,
    "aria-2": 25,
    "forte-1": 29,
    "forte-enterprise-1": 29,
}
QPU_MODEL: Dict[str, str] = {
    "qpu": "aria-1",  # §8.12: meaning unknown; Aria is the default QPU of the era
    "qpu.harmony": "harmony",
    "qpu.aria-1": "aria-1",
    "qpu.aria-2": "aria-2",
    "qpu.forte-1": "forte-1",
    "qpu.forte-enterprise-1": "forte-1",
    "qpu.tempo-1": "forte-1",  # no published model of its own: Forte's rates
}

MAX_SAMPLED_SHOTS = 1_000_000  # shot-based runs beyond this fail with SimulationError
PAULIS = "IXYZ"  # index 1..3 of a 1q error; a 2q error index e is the pair (e % 4, e // 4)


@dataclass(frozen=True)
class Backend:
    """What a job runs on: its qubit ceiling and its noise model (``None`` = ideal)."""

    target: str
    qubit_limit: int
    limit_reason: str  # for the NotEnoughQubits message
    model: Optional[str]
    is_qpu: bool
    seed: Optional[int]  # the job's noise.seed (simulator targets only)


def resolve_backend(body: Dict[str, Any]) -> Backend:
    """The target and noise model of a job body (§§3.1 and 3.5).

    Raises:
        JobFailure: ``PreflightError`` for an unknown target or noise model.
    """
    target = body.get("target", "simulator")  # §3.1: simulator is the default
    if not isinstance(target, str) or target not in TARGET_QUBITS:
        raise preflight(f"Unknown target {target!r}; expected one of {sorted(TARGET_QUBITS)}.")
    if target != "simulator":  # §3.5: 'noise' is ignored for qpu.* targets
        return Backend(target, TARGET_QUBITS[target], target, QPU_MODEL[target], True, None)
    noise = body.get("noise")
    if noise is None:
        noise = {}
    if not isinstance(noise, dict):
        raise preflight('\'noise\' must be an object {"model": ..., "seed": ...}.')
    model = noise.get("model")
    model = "ideal" if model is None else model
    if model not in MODEL_QUBITS:
        raise preflight(f"Unknown noise model {model!r}; expected one of {sorted(MODEL_QUBITS)}.")
    seed = noise.get("seed")
    if isinstance(seed, bool) or not isinstance(seed, int):
        seed = None  # qiskit may send null (§3.5)
    limit, reason = min(
        (TARGET_QUBITS[target], "the simulator"), (MODEL_QUBITS[model], f"noise model {model!r}")
    )
    return Backend(target, limit, reason, None if model == "ideal" else model, False, seed)


@dataclass(frozen=True)
class Channel:
    """One depolarizing channel: after gate ``gate``, on ``qubits`` (1 or 2 of them)."""

    gate: int
    qubits: Tuple[int, ...]
    rate: float  # probability that *some* non-identity Pauli happens


def channels(gates: Sequence[Gate], model: str) -> List[Channel]:
    """The channels a model puts after the gates of a circuit (choices: module docstring)."""
    r1, r2 = RATES[model]
    out: List[Channel] = []
    for g, gate in enumerate(gates):
        qs = gate.qubits
        if len(qs) == 1:
            out.append(Channel(g, qs, 3 * r1 / 4))
        else:
            out.extend(Channel(g, (a, b), 15 * r2 / 16) for a, b in zip(qs, qs[1:]))
    return out


Event = Tuple[int, int, str]  # (gate index, qubit, Pauli letter) applied after that gate


@dataclass(frozen=True)
class Trajectories:
    """Sampled error patterns of a shot-based run.

    Attributes:
        patterns: the distinct patterns (tuples of events in circuit order); ``()`` is the
            error-free trajectory.
        shots: for each pattern, the indices of the shots that follow it.
    """

    patterns: List[Tuple[Event, ...]]
    shots: List[np.ndarray]


def sample_trajectories(
    rng: np.random.Generator, num_shots: int, gates: Sequence[Gate], model: str
) -> Trajectories:
    """Sample one Pauli-error pattern per shot and group the shots by pattern.

    Per channel the number of shots hit is binomial (one vectorised call over all channels),
    the hit shots are drawn without replacement and each gets a uniformly random
    non-identity Pauli (1 of 3, or 1 of 15 pairs); this is exactly the channel's Kraus
    distribution, at a cost proportional to the number of errors rather than shots x gates.
    """
    chans = channels(gates, model)
    hits = rng.binomial(num_shots, [c.rate for c in chans]) if chans else np.zeros(0, int)
    shot_ids: List[np.ndarray] = []
    chan_ids: List[np.ndarray] = []
    codes: List[np.ndarray] = []
    for ci in np.flatnonzero(hits):
        k = int(hits[ci])
        shot_ids.append(rng.choice(num_shots, size=k, replace=False))
        chan_ids.append(np.full(k, ci))
        codes.append(rng.integers(1, 4 if len(chans[ci].qubits) == 1 else 16, size=k))
    if not shot_ids:
        return Trajectories([()], [np.arange(num_shots)])
    shot_arr, chan_arr, code_arr = (np.concatenate(a) for a in (shot_ids, chan_ids, codes))
    order = np.lexsort((chan_arr, shot_arr))  # by shot, then in circuit order
    per_shot: Dict[int, List[Event]] = {}
    for s, ci, code in zip(
        shot_arr[order].tolist(), chan_arr[order].tolist(), code_arr[order].tolist()
    ):
        chan = chans[ci]
        events = per_shot.setdefault(s, [])
        for q, letter in zip(chan.qubits, (code % 4, code // 4)):
            if letter:
                events.append((chan.gate, q, PAULIS[letter]))
    index: Dict[Tuple[Event, ...], int] = {(): 0}
    assignment = np.zeros(num_shots, dtype=np.int64)  # shots without events: pattern 0
    for s, events in per_shot.items():
        assignment[s] = index.setdefault(tuple(events), len(index))
    order = np.argsort(assignment, kind="stable")
    bounds = np.cumsum(np.bincount(assignment, minlength=len(index)))[:-1]
    return Trajectories(list(index), np.split(order, bounds))


def circuit_containers(body: Dict[str, Any]) -> List[Tuple[Dict[str, Any], Optional[str]]]:
    """The circuit containers of a job with their default names (§§3.1, 3.2, 8.11).

    A container holds ``circuit`` or ``circuits`` and defaults (``gateset``, ``qubits``); it is
    ``input`` as an object, each element of ``input`` given as a JSON array of circuit objects
    (IonQ user manual), or the legacy Cirq ``{"lang": "json", "body": ...}``.
    """
    program = body.get("input")
    if program is None and "lang" in body:
        if body["lang"] != "json":
            raise preflight(f"Unsupported 'lang' {body['lang']!r}; only 'json' is understood.")
        program = body.get("body")
    if isinstance(program, str):  # tolerate an input sent as JSON text
        try:
            program = json.loads(program)
        except ValueError:
            raise preflight("'input' is not valid JSON.") from None
    if isinstance(program, list):
        if not program or not all(isinstance(c, dict) for c in program):
            raise preflight("'input' as an array must hold one or more circuit objects.")
        return [(c, c.get("name")) for c in program]
    if not isinstance(program, dict):
        raise preflight("Missing 'input' with a 'circuit' or 'circuits'.")
    return [(program, body.get("name"))]


# (1q gate, 2q gate, readout + reset) in ms per QPU family: predictions only (§5.2).
_QPU_MS = {"harmony": (0.01, 0.2, 0.15), "aria": (0.135, 0.6, 0.32), "forte": (0.13, 0.97, 0.2)}


def qpu_shot_ms(model: str, n1: int, n2: int) -> float:
    """Device time of one shot of a circuit with ``n1``/``n2`` one/two-qubit gates."""
    t1, t2, tr = next(v for family, v in _QPU_MS.items() if family in model)
    return n1 * t1 + n2 * t2 + tr


def parse_shots(body: Dict[str, Any]) -> int:
    """``shots``: an int or a numeric string (Cirq sends ``"200"``), default 100 (§3.1).

    Raises:
        JobFailure: ``PreflightError`` unless a positive integer.
    """
    shots = body.get("shots", 100)
    if isinstance(shots, str):
        try:
            shots = float(shots)
        except ValueError:
            raise preflight(f"'shots' must be a positive integer, got {shots!r}.") from None
    if isinstance(shots, float) and shots.is_integer():
        shots = int(shots)
    if isinstance(shots, bool) or not isinstance(shots, int) or shots < 1:
        raise preflight(f"'shots' must be a positive integer, got {body.get('shots')!r}.")
    return shots


def check_shots_budget(num_shots: int) -> None:
    """Refuse shot-based runs beyond what this emulator samples in reasonable time/memory."""
    if num_shots > MAX_SAMPLED_SHOTS:
        raise JobFailure(
            "SimulationError",
            f"{num_shots} shots: this emulator samples at most {MAX_SAMPLED_SHOTS} shots per job.",
        )


# ------------------------------------------------------------------ error mitigation
DEBIAS_MIN_SHOTS = 500  # §3.6: debiasing needs >= 500 shots, forced off below
DEBIAS_VARIANTS = 25


def debias_option(body: Dict[str, Any]) -> Optional[bool]:
    """``error_mitigation.debias`` (§3.6): True, False or None (= the default).

    Raises:
        JobFailure: ``PreflightError`` for anything but ``{"debias": true|false}``.
    """
    em = body.get("error_mitigation")
    if em is None:
        return None
    if not isinstance(em, dict) or em.get("debias") not in (None, True, False):
        raise preflight("'error_mitigation' must look like {\"debias\": true|false}.")
    return em.get("debias")


def debias_enabled(backend: Backend, shots: int, option: Optional[bool], gateset: str) -> bool:
    """Section 3.6: QPU only, >= 500 shots; default on for QIS circuits, off for native."""
    if not backend.is_qpu or shots < DEBIAS_MIN_SHOTS:
        return False
    return option if option is not None else gateset == "qis"


def debiased(
    rng: np.random.Generator, outcomes: np.ndarray
) -> Tuple[Tuple[np.ndarray, np.ndarray], Tuple[np.ndarray, np.ndarray]]:
    """Aggregate the shots of a debiased job (§§3.6 and 6.3).

    The shots are split into :data:`DEBIAS_VARIANTS` symmetrised variants. They are already
    independent noisy runs; in the emulator every qubit is alike, so a variant differs from
    another only by its noise. Returns ``(outcomes, values)`` pairs, sorted by outcome, for
    the *average* aggregation (mean of the variants' distributions) and the *plurality* one
    (each variant votes for its most frequent outcome, ties broken at random).
    """
    variants = np.array_split(outcomes, DEBIAS_VARIANTS)
    weights = np.concatenate([np.full(len(v), 1 / (len(v) * len(variants))) for v in variants])
    values, inverse = np.unique(np.concatenate(variants), return_inverse=True)
    average = np.bincount(inverse.reshape(-1), weights=weights, minlength=len(values))
    winners = []
    for variant in variants:
        vals, n = np.unique(variant, return_counts=True)
        winners.append(rng.choice(vals[n == n.max()]))
    won, votes = np.unique(np.array(winners, dtype=np.int64), return_counts=True)
    return (values, average), (won, votes / len(variants))


def other_aggregations(
    outcomes: np.ndarray, width: int
) -> Dict[str, Tuple[np.ndarray, np.ndarray]]:
    """``(outcomes, probabilities)`` of the ``dnl`` and ``majority`` aggregations.

    IonQ names these two aggregations of a debiased job without defining them; these are
    the emulator's definitions (also written in docs/reference/ionq-api.md, section 9.6). The
    shots are split into the same :data:`DEBIAS_VARIANTS` variants as :func:`debiased`.

    * ``majority``: component-wise majority vote. Each variant votes for one bit string,
      built bit by bit: bit ``j`` is the value most of the variant's shots have in bit ``j``
      (an exact tie takes the bit of the variant's most frequent outcome, the smallest one
      if several are equally frequent, so no random draw is needed). The result is the
      fraction of variants voting for each string. It differs from ``voting`` (plurality of
      whole strings) when the errors of the most frequent strings disagree bit by bit.
    * ``dnl`` (de-noised average): the ``average`` aggregation restricted to the outcomes
      that at least half of the variants observed, renormalised to sum to 1. An outcome only
      a minority of the symmetrised variants produce is attributed to their noise. When no
      outcome is that common (shots spread over many outcomes), it equals ``average``.

    Args:
        outcomes: basis-state index measured by each shot (``width`` bits).
        width: number of bits of an outcome.
    """
    variants = np.array_split(outcomes, DEBIAS_VARIANTS)
    ballots = []
    seen_by: Counter[int] = Counter()
    for variant in variants:
        vals, n = np.unique(variant, return_counts=True)
        seen_by.update(int(v) for v in vals)
        plurality = int(vals[np.argmax(n)])
        ballot = 0
        for j in range(width):
            ones = int(np.count_nonzero((variant >> j) & 1))
            bit = (plurality >> j) & 1 if 2 * ones == len(variant) else int(2 * ones > len(variant))
            ballot |= bit << j
        ballots.append(ballot)
    won, votes = np.unique(np.array(ballots, dtype=np.int64), return_counts=True)
    weights = np.concatenate([np.full(len(v), 1 / (len(v) * len(variants))) for v in variants])
    values, inverse = np.unique(np.concatenate(variants), return_inverse=True)
    average = np.bincount(inverse.reshape(-1), weights=weights, minlength=len(values))
    keep = np.array([2 * seen_by[int(v)] >= len(variants) for v in values], dtype=bool)
    if not keep.any():
        keep[:] = True
    kept = average[keep]
    return {
        "dnl": (values[keep], kept / kept.sum()),
        "majority": (won, votes / len(variants)),
    }


def aggregate(
    rng: np.random.Generator, outcomes: np.ndarray, debias: bool
) -> Tuple[Tuple[np.ndarray, np.ndarray], Tuple[np.ndarray, np.ndarray]]:
    """``(outcomes, probabilities)`` of the average and the plurality aggregation.

    Without debiasing both are the plain frequencies count/shots (§6.3).
    """
    if debias:
        return debiased(rng, outcomes)
    values, counts = np.unique(outcomes, return_counts=True)
    return (values, counts / len(outcomes)), (values, counts / len(outcomes))


# ----------------------------------------------------------------------- noisy runs
_BATCH_AMPLITUDES = 1 << 20  # trajectories evolved together: at most 16 MiB of state per batch
_WORK_BUDGET = 1 << 35  # amplitude x gate updates of a noisy run (~2 min), else SimulationTimeout


def noisy_outcomes(
    rng: np.random.Generator, gates: Sequence[Gate], m: int, shots: int, model: str
) -> np.ndarray:
    """Local basis-state index measured by each shot of a noisy run.

    Error patterns are sampled per shot (:func:`sample_trajectories`); each distinct
    pattern is one trajectory, identical to the error-free one until its first error. So the
    error-free trajectory (``runner``) is simulated once, and every other trajectory is
    branched off (copied from it) at its first error and simulated from there on, batched
    with others (sorted by first error) as rows of one array. An event ``(g, q, P)`` applies
    Pauli ``P`` to qubit ``q`` right after gate ``g``; rows sharing it are hit together.
    """
    traj = sample_trajectories(rng, shots, gates, model)
    errored = sorted(
        ((p, s) for p, s in zip(traj.patterns, traj.shots) if p and len(s)),
        key=lambda ps: ps[0][0][0],
    )
    work = (len(gates) + sum(len(gates) - p[0][0] for p, _ in errored)) << m
    if work > _WORK_BUDGET:
        raise JobFailure(
            "SimulationTimeout",
            f"{len(errored)} distinct noisy trajectories of {m} qubits and {len(gates)} gates "
            "exceed this emulator's budget; use fewer shots, qubits or gates, or no noise.",
        )
    outcomes = np.empty(shots, dtype=np.int64)

    def sample(probs: np.ndarray, shot_ids: np.ndarray) -> None:
        outcomes[shot_ids] = rng.choice(len(probs), size=len(shot_ids), p=probs / probs.sum())

    runner = Runner(gates, m, np.complex128)  # trajectories branch from it in double
    per_batch = max(1, _BATCH_AMPLITUDES >> m)
    for start in range(0, len(errored), per_batch):
        chunk = errored[start : start + per_batch]
        starts = Counter(p[0][0] for p, _ in chunk)
        errors: Dict[int, Dict[Tuple[int, str], List[int]]] = {}
        for row, (pattern, _) in enumerate(chunk):
            for g, q, letter in pattern:
                errors.setdefault(g, {}).setdefault((q, letter), []).append(row)
        states = States(np.empty((len(chunk), 1 << m), dtype=np.complex128), m, live=0)
        for g in range(chunk[0][0][0][0], len(gates)):
            checkpoint()
            if states.live:
                for op in gates[g].ops:
                    states.apply(op)
            if g in starts:
                states.branch(starts[g], runner.advance(g + 1))
            for (q, letter), rows in errors.get(g, {}).items():
                hit = np.array(rows)
                sub = States(states.flat[hit], m)
                sub.apply(pauli_op(q, letter))
                states.flat[hit] = sub.flat
        for (_, shot_ids), probs in zip(chunk, probabilities(states)):
            sample(probs, shot_ids)
    runner.advance(len(gates))
    sample(probabilities(runner.states)[0], traj.shots[0])
    return outcomes
