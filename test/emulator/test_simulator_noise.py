"""Noisy simulation, QPU targets, debiasing and the simulator's speed."""

from __future__ import annotations

import math

import numpy as np
import pytest

from qiskit_ionq.emulator.simulation import noise, simulator
from qiskit_ionq.emulator.simulation.simulator import execute

BELL = [{"gate": "h", "targets": [0]}, {"gate": "x", "controls": [0], "targets": [1]}]


def body(circuit, *, target="simulator", model=None, seed=None, shots=1000, **extra):
    out = {"target": target, "shots": shots, "input": {"qubits": 2, "circuit": circuit}, **extra}
    if model is not None:
        out["noise"] = {"model": model, "seed": seed}
    return out


def hist(b, seed=None):
    (r,) = execute(b, seed=seed)
    return r


def error_mass(h):
    return sum(v for k, v in h.items() if k not in ("0", "3"))


def random_circuit(n, gates, seed):
    rng = np.random.default_rng(seed)
    out = []
    for _ in range(gates):
        a, b = (int(q) for q in rng.choice(n, 2, replace=False))
        kind = int(rng.integers(4))
        if kind == 0:
            out.append({"gate": "h", "targets": [a]})
        elif kind == 1:
            out.append({"gate": "rz", "rotation": float(rng.uniform(-3, 3)), "targets": [a]})
        elif kind == 2:
            out.append({"gate": "x", "controls": [a], "targets": [b]})
        else:
            out.append({"gate": "ry", "rotation": float(rng.uniform(-3, 3)), "targets": [a]})
    return out


# ----------------------------------------------------------------------------- noise
def test_rates_are_the_published_ones():
    assert noise.RATES["aria-1"] == (0.0005, 0.0133)
    assert noise.RATES["aria-2"] == pytest.approx((0.000657333333, 0.01856))
    assert noise.RATES["forte-1"] == pytest.approx((0.000266666667, 0.004949333333))
    assert noise.RATES["forte-enterprise-1"] == noise.RATES["forte-1"]


@pytest.mark.parametrize("model", ["harmony", "aria-1", "aria-2", "forte-1", "forte-enterprise-1"])
def test_noisy_frequencies_are_multiples_of_one_over_shots(model):
    r = hist(body(BELL, model=model, seed=7, shots=777))
    assert math.isclose(sum(r.histogram.values()), 1.0)
    for value in r.histogram.values():
        assert abs(value * 777 - round(value * 777)) < 1e-9
    assert r.sharpened == r.histogram  # no debiasing on simulators (ionq-api.md §3.6)


def test_noisy_bell_error_mass_has_the_right_order_of_magnitude():
    # Of the 15 Pauli pairs after the CX, 8 flip the parity: error mass ~ r2 / 2.
    shots = 40000
    r = hist(body(BELL, model="aria-1", seed=11, shots=shots))
    expected = 0.0133 / 2
    sigma = math.sqrt(expected / shots)
    assert abs(error_mass(r.histogram) - expected) < 5 * sigma
    assert abs(r.histogram["0"] - r.histogram["3"]) < 0.03


def test_noise_grows_with_the_gate_count():
    one = [{"gate": "x", "targets": [0]}]
    many = one * 201  # odd: ideally still |1>
    assert hist(body(one, model="harmony", seed=3, shots=5000)).histogram["1"] > 0.999
    stay = hist(body(many, model="harmony", seed=3, shots=5000)).histogram["1"]
    # Each X error on the way flips the outcome: ~ 201 * r1/2 = 0.1 of the shots.
    assert 0.85 < stay < 0.95


def test_seeded_noise_is_repeatable():
    b = body(BELL, model="harmony", seed=5)
    assert hist(b).histogram == hist(b).histogram
    b_other = body(BELL, model="harmony", seed=6)
    assert hist(b).histogram != hist(b_other).histogram
    # Without a seed in the body the seed argument decides.
    unseeded = body(BELL, model="harmony")
    assert hist(unseeded, seed=1).histogram == hist(unseeded, seed=1).histogram
    assert hist(unseeded, seed=1).histogram != hist(unseeded, seed=2).histogram
    # noise.seed wins over the argument.
    assert hist(b, seed=1).histogram == hist(b, seed=2).histogram


def test_batching_does_not_change_results(monkeypatch):
    circ = [{"gate": "x", "targets": [q]} for q in range(8)] * 31
    b = {"target": "simulator", "shots": 2000, "noise": {"model": "aria-2", "seed": 2}}
    b["input"] = {"qubits": 8, "circuit": circ}
    whole = hist(b).histogram
    monkeypatch.setattr(noise, "_BATCH_AMPLITUDES", 1 << 11)  # 8 trajectories per batch
    assert hist(b).histogram == whole
    # Each qubit sees 31 X gates, each flipping it with probability r1/2 (~1% per qubit).
    assert max(whole, key=whole.get) == "255"
    assert 0.88 < whole["255"] < 0.96


def test_oversized_noisy_run_is_a_simulation_timeout(monkeypatch):
    monkeypatch.setattr(noise, "_WORK_BUDGET", 1 << 12)
    with pytest.raises(simulator.JobFailure) as err:
        execute(body(BELL * 100, model="harmony", seed=1))
    assert err.value.code == "SimulationTimeout"


def test_trajectory_sampler_groups_shots():
    from qiskit_ionq.emulator.simulation.simulator import parse_gate

    gates = [parse_gate(g, "qis", "") for g in BELL * 50]
    traj = noise.sample_trajectories(np.random.default_rng(0), 2000, gates, "harmony")
    assert sorted(np.concatenate(traj.shots).tolist()) == list(range(2000))
    assert traj.patterns[0] == ()
    assert len(set(traj.patterns)) == len(traj.patterns)
    events = [e for p in traj.patterns for e in p]
    assert all(letter in "XYZ" and q in (0, 1) for _, q, letter in events)


# -------------------------------------------------------------------- QPU, debiasing
def test_qpu_targets_are_noisy_and_ignore_noise():
    for target in ("qpu", "qpu.harmony", "qpu.aria-1", "qpu.aria-2", "qpu.forte-1"):
        b = body(BELL, target=target, shots=400, noise={"model": "ideal", "seed": 1})
        r = hist(b, seed=4)
        assert all(abs(v * 400 - round(v * 400)) < 1e-9 for v in r.histogram.values())
        assert r.sharpened == r.histogram  # < 500 shots: debiasing forced off


def test_debiasing_average_vs_plurality():
    r = hist(body(BELL, target="qpu.harmony", shots=2000), seed=9)
    assert set(r.sharpened) <= {"0", "3"}  # each variant votes for 00 or 11
    assert math.isclose(sum(r.sharpened.values()), 1.0)
    assert all(abs(v * 25 - round(v * 25)) < 1e-9 for v in r.sharpened.values())
    assert math.isclose(sum(r.histogram.values()), 1.0)
    assert error_mass(r.histogram) > 0  # the average keeps the noise
    # A biased one-qubit state: plurality sharpens it to certainty.
    biased = [{"gate": "ry", "rotation": 2 * math.asin(math.sqrt(0.8)), "targets": [0]}]
    r = hist(body(biased, target="qpu.aria-1", shots=1000), seed=3)
    assert r.sharpened == {"1": 1.0}
    assert r.histogram["1"] == pytest.approx(0.8, abs=0.05)


@pytest.mark.parametrize(
    "gateset,shots,option,on",
    [
        ("qis", 1000, None, True),  # default on for QIS with >= 500 shots
        ("qis", 499, None, False),
        ("qis", 499, True, False),  # forced off below 500 shots
        ("qis", 1000, False, False),
        ("native", 1000, None, False),  # default off for native
        ("native", 1000, True, True),
    ],
)
def test_debiasing_defaults(gateset, shots, option, on):
    circ = (
        BELL
        if gateset == "qis"
        else [
            {"gate": "gpi2", "target": 0, "phase": 0},
            {"gate": "ms", "targets": [0, 1], "phases": [0, 0]},
        ]
    )
    b = body(circ, target="qpu.aria-1", shots=shots)
    b["input"]["gateset"] = gateset
    if option is not None:
        b["error_mitigation"] = {"debias": option}
    r = hist(b, seed=1)
    assert (r.sharpened != r.histogram) is on


def test_majority_and_dnl_aggregations_by_hand():
    # 25 variants of 5 shots, 3-bit outcomes. Fifteen variants see 0,0,7,3,5: their most
    # frequent outcome is 0, but bit by bit the majority is 001 (bit 0 set in 7, 3 and 5;
    # bits 1 and 2 in only two shots each). Ten variants see 6 only.
    outcomes = np.array([0, 0, 7, 3, 5] * 15 + [6] * 50, dtype=np.int64)
    assert noise.DEBIAS_VARIANTS == 25
    found = noise.other_aggregations(outcomes, 3)
    values, probs = found["majority"]
    assert dict(zip(values.tolist(), probs.tolist())) == {1: 0.6, 6: 0.4}
    # dnl: 6 was seen by 10 of 25 variants (a minority) and goes; the average of the rest
    # (0: 0.24, 3/5/7: 0.12 each) is renormalised by its mass 0.6.
    values, probs = found["dnl"]
    assert values.tolist() == [0, 3, 5, 7]
    assert probs.tolist() == pytest.approx([0.4, 0.2, 0.2, 0.2])
    # The plurality vote of the same variants, for contrast: 0 wins where majority has 1.
    _average, (won, votes) = noise.debiased(np.random.default_rng(0), outcomes)
    assert dict(zip(won.tolist(), votes.tolist())) == {0: 0.6, 6: 0.4}


def test_majority_tie_takes_the_bit_of_the_most_frequent_outcome():
    # Each variant: 1, 2, 1, 2 -> 1 and 2 tie as most frequent (the smaller, 1, is taken);
    # bit 0 and bit 1 are each set in half of the shots, so both come from 1: ballot 01.
    outcomes = np.array([1, 2, 1, 2] * 25, dtype=np.int64)
    values, probs = noise.other_aggregations(outcomes, 2)["majority"]
    assert values.tolist() == [1] and probs.tolist() == [1.0]


def test_dnl_without_a_common_outcome_is_the_average():
    outcomes = np.arange(25, dtype=np.int64)  # one shot per variant, all different
    values, probs = noise.other_aggregations(outcomes, 5)["dnl"]
    assert values.tolist() == list(range(25))
    assert probs.tolist() == pytest.approx([1 / 25] * 25)


def test_simulator_keeps_dnl_and_majority_of_debiased_circuits_only():
    r = hist(body(BELL, target="qpu.aria-1", shots=1000), seed=5)
    assert sorted(r.aggregations) == ["dnl", "majority"]
    assert set(r.aggregations["majority"]) <= {"0", "3"}
    assert math.isclose(sum(r.aggregations["dnl"].values()), 1.0)
    assert set(r.aggregations["dnl"]) <= set(r.histogram)
    off = body(BELL, target="qpu.aria-1", shots=1000, error_mitigation={"debias": False})
    assert hist(off, seed=5).aggregations == {}


def test_debiasing_never_applies_to_simulators():
    b = body(BELL, model="aria-1", seed=1, error_mitigation={"debias": True})
    r = hist(b)
    assert r.sharpened == r.histogram


# --------------------------------------------------------------------- at benchmark size
# Speed is measured by benchmarks/bench_emulator.py (figures and ratios), never asserted here.


@pytest.mark.slow
def test_ideal_20_qubits_500_gates_matches_qiskit_statevector():
    qiskit = pytest.importorskip("qiskit")
    from qiskit.quantum_info import Statevector

    circ = random_circuit(20, 500, 2)
    qc = qiskit.QuantumCircuit(20)
    for g in circ:
        if g["gate"] == "h":
            qc.h(g["targets"][0])
        elif g["gate"] in ("rz", "ry"):
            getattr(qc, g["gate"])(g["rotation"], g["targets"][0])
        else:
            qc.cx(g["controls"][0], g["targets"][0])
    b = {"target": "simulator", "input": {"qubits": 20, "circuit": circ}}
    hist = execute(b)[0].histogram
    probs = Statevector.from_instruction(qc).probabilities()
    keys = np.array([int(k) for k in hist])
    np.testing.assert_allclose(np.array(list(hist.values())), probs[keys], atol=1e-12)
