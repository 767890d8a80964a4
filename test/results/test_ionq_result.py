"""IonQResult: a real Qiskit Result whose counts match Qiskit's own formatting exactly."""

from __future__ import annotations

import copy
import json
import pickle
import warnings
from collections import Counter

import numpy as np
import pytest
from qiskit import ClassicalRegister, QuantumCircuit, QuantumRegister
from qiskit.circuit import Clbit
from qiskit.exceptions import QiskitError
from qiskit.providers.basic_provider import BasicSimulator
from qiskit.result import Counts, Result, marginal_counts
from results_support import (
    expected_probabilities,
    header_from_circuit,
    meas_map_from_circuit,
    vendor_histogram,
)

from qiskit_ionq._qiskit_compat import QISKIT_2
from qiskit_ionq.ionq_result import IonQResult
from qiskit_ionq.results import build_experiment, default_header


def _experiment(circuit, shots=1000, sample=False, seed=None, memory=False):
    return build_experiment(
        vendor_histogram(circuit),
        header=header_from_circuit(circuit),
        meas_map=meas_map_from_circuit(circuit),
        num_qubits=circuit.num_qubits,
        shots=shots,
        sample=sample,
        seed=seed,
        memory=memory,
    )


def _result(*experiments, time_taken=0.25):
    return IonQResult.from_experiments(
        backend_name="ionq_simulator",
        backend_version="0.3",
        job_id="job-1",
        experiments=list(experiments),
        time_taken=time_taken,
    )


def _qiskit_counts(result, index):
    """Qiskit's own get_counts on the same stored data (the slow path we bypass)."""
    return Result.get_counts(result, index)


def _bell(name="bell"):
    circuit = QuantumCircuit(2, 2, name=name)
    circuit.h(0)
    circuit.cx(0, 1)
    circuit.measure([0, 1], [0, 1])
    return circuit


def _two_registers(name="regs"):
    qr = QuantumRegister(3, "q")
    a, b = ClassicalRegister(2, "a"), ClassicalRegister(3, "b")
    circuit = QuantumCircuit(qr, a, b, name=name)
    circuit.x(0)
    circuit.h(2)
    circuit.measure(0, 4)
    circuit.measure(2, 0)
    circuit.measure(0, 1)
    return circuit


@pytest.fixture
def result():
    return _result(_experiment(_bell()), _experiment(_two_registers()))


class TestLookup:
    def test_result_fields(self, result):
        assert isinstance(result, Result)
        assert result.time_taken == 0.25
        assert result.job_id == "job-1"
        assert result.backend_name == "ionq_simulator"
        assert result.backend_version == "0.3"
        assert result.success is True
        assert len(result.results) == 2

    def test_get_counts_by_index_name_circuit_and_all(self, result):
        bell = {"00": 500, "11": 500}
        regs = {"100 10": 500, "100 11": 500}
        assert result.get_counts(0) == bell
        assert result.get_counts("regs") == regs
        assert result.get_counts(_bell()) == bell
        assert result.get_counts() == [bell, regs]
        single = _result(_experiment(_bell()))
        assert single.get_counts() == bell
        assert isinstance(single.get_counts(), Counts)

    def test_get_probabilities_by_index_name_circuit_and_all(self, result):
        # The vendor histogram's own values (0.4999...): not renormalized.
        bell, regs = {"00": 0.5, "11": 0.5}, {"100 10": 0.5, "100 11": 0.5}
        assert result.get_probabilities(0) == pytest.approx(bell, abs=1e-12)
        assert result.get_probabilities("regs") == pytest.approx(regs, abs=1e-12)
        assert result.get_probabilities(_two_registers()) == pytest.approx(regs, abs=1e-12)
        both = result.get_probabilities()
        assert both[0] == pytest.approx(bell, abs=1e-12)
        assert both[1] == pytest.approx(regs, abs=1e-12)

    def test_unknown_experiment(self, result):
        with pytest.raises(QiskitError):
            result.get_counts("nope")
        with pytest.raises(QiskitError):
            result.get_probabilities("nope")
        with pytest.raises(QiskitError):
            result.get_probabilities(5)

    def test_returned_dicts_are_fresh(self, result):
        result.get_counts(0)["00"] = 1
        result.get_probabilities(0)["00"] = 1.0
        assert result.get_counts(0)["00"] == 500
        assert result.get_probabilities(0)["00"] == pytest.approx(0.5, abs=1e-12)

    def test_failed_result(self):
        failed = IonQResult.from_experiments(
            backend_name="b",
            backend_version="1",
            job_id="j",
            experiments=[_experiment(_bell())],
            time_taken=None,
            success=False,
        )
        assert failed.success is False and failed.time_taken is None
        with pytest.raises(QiskitError):
            failed.get_counts()


class TestQiskitFormat:
    def test_counts_equal_qiskit_get_counts(self, result):
        for index in range(2):
            ours, theirs = result.get_counts(index), _qiskit_counts(result, index)
            assert type(ours) is Counts
            assert ours == theirs
            assert ours.creg_sizes == theirs.creg_sizes
            assert ours.memory_slots == theirs.memory_slots
            assert ours.time_taken == theirs.time_taken
            assert ours.int_outcomes() == theirs.int_outcomes()
            assert ours.hex_outcomes() == theirs.hex_outcomes()
            assert ours.most_frequent() if len(set(ours.values())) > 1 else True

    def test_stored_counts_are_keyed_like_earlier_releases(self, result):
        # Hex keys like Qiskit's simulators below Qiskit 2; clbit-wide bit strings from 2 on.
        expected = {"00": 500, "11": 500} if QISKIT_2 else {"0x0": 500, "0x3": 500}
        assert result.data(0)["counts"] == expected

    def test_header_is_readable_as_in_qiskit(self, result):
        header = result.results[1].header
        as_dict = header if isinstance(header, dict) else header.to_dict()
        assert as_dict["creg_sizes"] == [["a", 2], ["b", 3]]
        assert as_dict["memory_slots"] == 5

    @pytest.mark.parametrize("layout", ["registerless_first", "registerless_last", "only_loose"])
    def test_registerless_clbits(self, layout):
        qr = QuantumRegister(2, "q")
        if layout == "registerless_first":
            circuit = QuantumCircuit(qr, [Clbit()], ClassicalRegister(1, "c"), name=layout)
        elif layout == "registerless_last":
            circuit = QuantumCircuit(qr, ClassicalRegister(1, "c"), [Clbit()], name=layout)
        else:
            circuit = QuantumCircuit(qr, [Clbit(), Clbit()], name=layout)
        circuit.h(0)
        circuit.x(1)
        circuit.measure(0, 0)
        circuit.measure(1, 1)
        res = _result(_experiment(circuit))
        ours, theirs = res.get_counts(), _qiskit_counts(res, 0)
        assert ours == theirs
        assert ours.int_outcomes() == theirs.int_outcomes()
        assert ours.hex_outcomes() == theirs.hex_outcomes()
        expected = expected_probabilities(
            vendor_histogram(circuit), meas_map_from_circuit(circuit), header_from_circuit(circuit)
        )
        assert res.get_probabilities() == pytest.approx(expected, abs=1e-12)
        assert set(res.get_probabilities()) == set(expected)

    def test_no_clbits_and_unwritten_clbits_match_basic_simulator(self):
        bare = QuantumCircuit(2, name="bare")
        bare.h(0)
        unwritten = QuantumCircuit(2, 2, name="unwritten")
        unwritten.h(0)
        simulator = BasicSimulator()
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # "No measurements in circuit ..."
            reference = simulator.run([bare, unwritten], shots=100, seed_simulator=1).result()
        res = _result(_experiment(bare, shots=100), _experiment(unwritten, shots=100))
        assert res.get_counts(0) == reference.get_counts(0) == {}
        assert res.get_counts(1) == reference.get_counts(1) == {"00": 100}
        assert res.get_probabilities(0) == {}
        assert res.get_probabilities(1) == pytest.approx({"00": 1.0}, abs=1e-12)

    def test_job_without_header(self):
        exp = build_experiment(
            {"0": 0.5, "7": 0.5},
            header=None,
            meas_map=None,
            num_qubits=3,
            shots=10,
            sample=False,
            seed=None,
        )
        res = _result(exp)
        assert res.get_counts() == _qiskit_counts(res, 0) == {"000": 5, "111": 5}
        assert res.results[0].shots == 10


class TestQiskitInterop:
    def test_marginal_counts(self, result):
        reference = Result.from_dict(result.to_dict())  # a plain Qiskit Result, same data
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", DeprecationWarning)  # Qobj headers on Qiskit 1.x
            ours = marginal_counts(result, [0, 1])
            theirs = marginal_counts(reference, [0, 1])
        assert ours.get_counts() == theirs.get_counts()
        assert ours.get_counts(1) == {"10": 500, "11": 500}
        # the original is untouched and still served by the fast path
        assert result.get_counts(1) == {"100 10": 500, "100 11": 500}

    def test_marginal_counts_in_place_is_never_stale(self, result):
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", DeprecationWarning)
            marginal_counts(result, [0], inplace=True)
        assert result.get_counts(0) == {"0": 500, "1": 500}
        assert result.get_counts(1) == {"0": 500, "1": 500}

    def test_to_dict_is_json_and_round_trips(self, result):
        text = json.dumps(result.to_dict())
        again = IonQResult.from_dict(json.loads(text))
        assert again.get_counts() == result.get_counts()
        assert again.get_probabilities() == result.get_probabilities()
        assert again.time_taken == 0.25

    def test_pickle_and_deepcopy(self, result):
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", DeprecationWarning)  # Qobj headers on Qiskit 1.x
            clones = [pickle.loads(pickle.dumps(result)), copy.deepcopy(result)]
        for clone in clones:
            assert clone.get_counts() == result.get_counts()
            assert clone.get_probabilities() == result.get_probabilities()

    def test_get_counts_builds_neither_stored_dict(self):
        experiment = _experiment(_bell())
        res = _result(experiment)
        assert res.get_counts() == {"00": 500, "11": 500}
        assert "hex_counts" not in experiment.__dict__
        assert "probabilities" not in experiment.__dict__
        stored = {"00": 500, "11": 500} if QISKIT_2 else {"0x0": 500, "0x3": 500}
        assert res.results[0].data.counts == stored  # built when read

    def test_data_holds_counts_memory_and_probabilities(self, result):
        data = result.data(1)
        stored = {"10011": 500, "10010": 500} if QISKIT_2 else {"0x13": 500, "0x12": 500}
        assert data["counts"] == stored
        assert data["probabilities"] == pytest.approx({"100 10": 0.5, "100 11": 0.5}, abs=1e-12)
        assert "memory" not in data  # only when the run asked for memory=True
        asked = _result(_experiment(_two_registers(), memory=True)).data(0)
        assert sorted(asked["memory"]) == ["0x12"] * 500 + ["0x13"] * 500

    def test_memory_is_a_seeded_shuffle_of_the_counts(self):
        def memory(seed):
            experiment = _experiment(
                _two_registers(), shots=50, sample=True, seed=seed, memory=True
            )
            return _result(experiment)

        first = memory(9)
        assert first.results[0].data.memory == memory(9).results[0].data.memory
        assert first.results[0].data.memory != sorted(first.results[0].data.memory)
        assert Counter(first.get_memory(0)) == first.get_counts(0)  # Qiskit formats it

    def test_plain_result_without_probabilities(self, result):
        as_dict = result.to_dict()
        for experiment in as_dict["results"]:
            del experiment["data"]["probabilities"]
        plain = IonQResult.from_dict(as_dict)
        assert plain.get_counts(0) == {"00": 500, "11": 500}
        with pytest.raises(QiskitError, match="No probabilities"):
            plain.get_probabilities(0)


def _big_histogram(num_qubits):
    probs = np.random.default_rng(5).random(2**num_qubits)
    probs /= probs.sum()
    return dict(zip(map(str, range(2**num_qubits)), probs.tolist()))


@pytest.mark.parametrize("measured", ["all", "half"])
def test_medium_histogram_counts_equal_qiskit(measured):
    n = 12
    histogram = _big_histogram(n)
    meas_map = list(range(n)) if measured == "all" else list(range(0, n, 2))
    header = default_header(n, len(meas_map))
    header["creg_sizes"] = [["lo", len(meas_map) // 2], ["hi", len(meas_map) - len(meas_map) // 2]]
    exp = build_experiment(
        histogram,
        header=header,
        meas_map=meas_map,
        num_qubits=n,
        shots=10_000,
        sample=True,
        seed=3,
    )
    res = _result(exp)
    ours, theirs = res.get_counts(), _qiskit_counts(res, 0)
    assert ours == theirs and ours.int_outcomes() == theirs.int_outcomes()
    probabilities = res.get_probabilities()
    assert len(probabilities) == 2 ** len(meas_map)
    assert sum(probabilities.values()) == pytest.approx(1.0, abs=1e-9)


@pytest.mark.slow
@pytest.mark.parametrize("measured", ["all", "half"])
def test_million_outcomes_are_exact_at_scale(measured):
    # Correctness at the benchmark's size; its speed is measured by benchmarks/, not here.
    n = 20
    histogram = _big_histogram(n)
    meas_map = list(range(n)) if measured == "all" else list(range(0, n, 2))
    exp = build_experiment(
        histogram,
        header=default_header(n, len(meas_map)),
        meas_map=meas_map,
        num_qubits=n,
        shots=1_000_000,
        sample=False,
        seed=None,
    )
    counts = _result(exp).get_counts()
    assert sum(counts.values()) == 1_000_000
    assert len(exp.probabilities) == 2 ** len(meas_map)
