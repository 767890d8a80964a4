"""Unit tests of qiskit_ionq.results: parsing, remapping, counts and key formatting."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from qiskit.result.postprocess import format_counts_memory

from qiskit_ionq.exceptions import IonQJobError
from qiskit_ionq.results import (
    ExperimentData,
    build_experiment,
    default_header,
    format_keys,
    key_layout,
    map_output,
    parse_histogram,
    remap,
    round_counts,
    sample_counts,
)


def _header(memory_slots, creg_sizes, n_qubits=3, name="circ"):
    return {
        "name": name,
        "n_qubits": n_qubits,
        "memory_slots": memory_slots,
        "creg_sizes": creg_sizes,
    }


def _build(histogram, meas_map, header=None, num_qubits=3, shots=1000, sample=False, seed=None):
    return build_experiment(
        histogram,
        header=header,
        meas_map=meas_map,
        num_qubits=num_qubits,
        shots=shots,
        sample=sample,
        seed=seed,
    )


# -- parse_histogram ------------------------------------------------------------------------
class TestParseHistogram:
    def test_parses_keys_and_probabilities_in_order(self):
        keys, probs = parse_histogram({"0": 0.5, "3": 0.499999, "5": 1e-07}, 3)
        assert keys.dtype == np.uint64 and probs.dtype == np.float64
        assert keys.tolist() == [0, 3, 5]
        assert probs.tolist() == [0.5, 0.499999, 1e-07]

    def test_accepts_integer_keys_and_values(self):
        keys, probs = parse_histogram({1: 1}, 1)
        assert keys.tolist() == [1] and probs.tolist() == [1.0]

    def test_accepts_numpy_scalars(self):
        keys, probs = parse_histogram({np.int64(2): np.float64(0.5), "1": np.float32(0.5)}, 2)
        assert keys.tolist() == [2, 1] and probs.tolist() == [0.5, 0.5]

    def test_empty_histogram_gives_empty_arrays(self):
        keys, probs = parse_histogram({}, 4)
        assert keys.size == 0 and probs.size == 0

    def test_key_wider_than_register_names_the_problem(self):
        with pytest.raises(IonQJobError) as info:
            parse_histogram({"0": 0.5, "8": 0.5}, 3)
        message = str(info.value)
        assert "result key 8 does not fit in the 3-qubit register" in message
        assert "wider than the job" in message

    @pytest.mark.parametrize("key", ["1.5", "abc", "1e0", "0x3", ""])
    def test_non_integer_key(self, key):
        with pytest.raises(IonQJobError, match="not a decimal integer"):
            parse_histogram({"0": 0.5, key: 0.5}, 3)

    @pytest.mark.parametrize("key", [1.0, None, True])
    def test_key_of_wrong_type(self, key):
        with pytest.raises(IonQJobError, match="not a decimal integer"):
            parse_histogram({key: 1.0}, 3)

    def test_negative_key(self):
        # numpy 1.x would wrap "-1" to 2**64 - 1 when parsing to uint64 directly.
        with pytest.raises(IonQJobError, match="result key '-1' is negative"):
            parse_histogram({"-1": 1.0}, 64)

    @pytest.mark.parametrize("value", ["abc", "0.5", None, [0.5], True])
    def test_non_numeric_probability(self, value):
        with pytest.raises(IonQJobError, match="probability of result key '1' is not a number"):
            parse_histogram({"0": 0.5, "1": value}, 1)

    @pytest.mark.parametrize("value", [-0.1, float("nan"), float("inf")])
    def test_negative_or_non_finite_probability(self, value):
        with pytest.raises(IonQJobError, match="finite and non-negative"):
            parse_histogram({"0": 0.5, "1": value}, 1)

    def test_sixty_four_qubit_keys(self):
        top = str(2**64 - 1)
        keys, _ = parse_histogram({top: 0.5, str(2**63): 0.25, "1": 0.25}, 64)
        assert keys.tolist() == [2**64 - 1, 2**63, 1]
        with pytest.raises(IonQJobError, match="does not fit in the 63-qubit register"):
            parse_histogram({str(2**63): 1.0}, 63)
        with pytest.raises(IonQJobError, match="does not fit in the 64-qubit register"):
            parse_histogram({str(2**64): 1.0}, 64)

    @pytest.mark.parametrize("num_qubits", [-1, 65, 2.0, "3", True])
    def test_rejects_bad_num_qubits(self, num_qubits):
        with pytest.raises(IonQJobError):
            parse_histogram({"0": 1.0}, num_qubits)

    def test_rejects_non_mapping(self):
        with pytest.raises(IonQJobError, match="JSON object"):
            parse_histogram([["0", 1.0]], 1)  # type: ignore[arg-type]


# -- remap / map_output -----------------------------------------------------------------------
def _remap_dict(histogram, meas_map, num_qubits):
    values, probs = remap(*parse_histogram(histogram, num_qubits), meas_map)
    return dict(zip(values.tolist(), probs.tolist()))


class TestRemap:
    def test_identity(self):
        assert _remap_dict({"0": 0.5, "3": 0.5}, [0, 1], 2) == {0: 0.5, 3: 0.5}

    def test_swapped_map_from_the_fact_sheet(self):
        # meas_mapped [1, 0] and result {"2": 1} -> clbit 0 reads qubit 1 -> "01".
        assert _remap_dict({"2": 1.0}, [1, 0], 2) == {1: 1.0}

    def test_unmeasured_qubits_are_summed_out(self):
        histogram = {"0": 0.1, "1": 0.2, "2": 0.3, "3": 0.4}  # qubit 1 unmeasured
        assert _remap_dict(histogram, [0], 2) == pytest.approx({0: 0.4, 1: 0.6})

    def test_one_qubit_into_several_clbits(self):
        assert _remap_dict({"0": 0.5, "1": 0.5}, [0, 0, 0], 1) == {0: 0.5, 7: 0.5}

    def test_unwritten_clbits_read_zero(self):
        assert _remap_dict({"1": 1.0}, [None, 0, None], 1) == {2: 1.0}

    def test_empty_map_is_one_outcome_with_the_total(self):
        assert _remap_dict({"0": 0.25, "1": 0.5}, [], 1) == {0: 0.75}

    def test_output_is_sorted_by_clbit_value(self):
        histogram = {str(k): 1 / 8 for k in range(8)}
        values, _ = remap(*parse_histogram(histogram, 3), [2, 0, 1])
        assert values.tolist() == list(range(8))

    def test_zero_probabilities_are_dropped(self):
        assert _remap_dict({"0": 0.0, "1": 1.0}, [0], 1) == {1: 1.0}

    def test_more_than_64_clbits_give_python_ints(self):
        meas_map = [None] * 70
        meas_map[69] = 0
        meas_map[3] = 1
        values, probs = remap(*parse_histogram({"1": 0.5, "2": 0.5}, 2), meas_map)
        assert values.dtype == object
        assert values.tolist() == [1 << 3, 1 << 69]  # ascending, like the uint64 path
        assert probs.tolist() == [0.5, 0.5]

    def test_sparse_path_for_wide_registers(self):
        # 40 measured qubits: too many for the dense bincount, exercises np.unique.
        histogram = {str(1 << 39): 0.25, str((1 << 39) | 1): 0.25, "1": 0.5}
        assert _remap_dict(histogram, list(range(40)), 40) == {
            1 << 39: 0.25,
            (1 << 39) | 1: 0.25,
            1: 0.5,
        }
        assert _remap_dict(histogram, [39], 40) == {1: 0.5, 0: 0.5}

    @settings(max_examples=60, deadline=None)
    @given(st.data())
    def test_matches_a_per_key_reference(self, data):
        n = data.draw(st.integers(1, 7))
        states = data.draw(st.lists(st.integers(0, 2**n - 1), min_size=1, unique=True))
        weights = data.draw(
            st.lists(st.floats(0.01, 1), min_size=len(states), max_size=len(states))
        )
        meas_map = data.draw(st.lists(st.one_of(st.none(), st.integers(0, n - 1)), max_size=9))
        histogram = {str(s): w for s, w in zip(states, weights)}
        expected: dict = {}
        for s, w in zip(states, weights):
            value = sum(1 << j for j, q in enumerate(meas_map) if q is not None and s >> q & 1)
            expected[value] = expected.get(value, 0.0) + w
        assert _remap_dict(histogram, meas_map, n) == pytest.approx(expected)


class TestMapOutput:
    def test_int_keys_and_summed_collisions(self):
        out = map_output({"0": 0.25, "2": 0.25, "3": 0.5}, [0], 2)
        assert out == {0: 0.5, 1: 0.5}
        assert all(type(k) is int for k in out)

    def test_empty_clbits_give_no_outcomes(self):
        assert map_output({"0": 1.0}, [], 1) == {}

    def test_validates_the_map(self):
        with pytest.raises(IonQJobError, match="sends qubit 2 to classical bit 0"):
            map_output({"0": 1.0}, [2], 2)
        with pytest.raises(IonQJobError, match="expected a qubit index"):
            map_output({"0": 1.0}, ["0"], 2)  # type: ignore[list-item]


# -- counts -----------------------------------------------------------------------------------
class TestRoundCounts:
    def test_largest_remainder(self):
        assert round_counts(np.array([1, 1, 1]) / 3, 100).tolist() == [34, 33, 33]
        assert round_counts(np.array([0.5, 0.3, 0.2]), 7).tolist() == [4, 2, 1]

    def test_unnormalized_input_is_normalized(self):
        assert round_counts(np.array([0.499999, 0.499999]), 10).tolist() == [5, 5]
        assert round_counts(np.array([2.0, 6.0]), 4).tolist() == [1, 3]

    def test_ties_go_to_the_earlier_outcome(self):
        assert round_counts(np.full(4, 0.25), 3).tolist() == [1, 1, 1, 0]

    def test_zero_shots(self):
        assert round_counts(np.array([0.5, 0.5]), 0).tolist() == [0, 0]

    def test_rejects_all_zero_and_bad_shots(self):
        with pytest.raises(IonQJobError, match="no outcome of non-zero probability"):
            round_counts(np.zeros(3), 10)
        with pytest.raises(IonQJobError, match="shots"):
            round_counts(np.ones(3), -1)

    @settings(max_examples=100, deadline=None)
    @given(
        st.lists(st.floats(1e-9, 1.0), min_size=1, max_size=40),
        st.integers(0, 10**6),
    )
    def test_sums_exactly_and_stays_within_one(self, weights, shots):
        probs = np.array(weights)
        counts = round_counts(probs, shots)
        assert counts.sum() == shots
        exact = probs / probs.sum() * shots
        assert np.all(np.abs(counts - exact) < 1 + 1e-9)
        assert np.all(counts >= 0)


class TestSampleCounts:
    def test_same_seed_same_counts(self):
        probs = np.array([0.1, 0.2, 0.3, 0.4])
        first = sample_counts(probs, 10_000, seed=42)
        assert first.sum() == 10_000
        assert sample_counts(probs, 10_000, seed=42).tolist() == first.tolist()
        assert sample_counts(probs, 10_000, seed=43).tolist() != first.tolist()

    def test_rejects_negative_seed(self):
        with pytest.raises(IonQJobError, match="sampler_seed"):
            sample_counts(np.array([0.5, 0.5]), 10, seed=-1)

    def test_unseeded_sampling_works(self):
        counts = sample_counts(np.array([0.5, 0.5]), 100, seed=None)
        assert counts.sum() == 100

    def test_normalizes_vendor_probabilities(self):
        counts = sample_counts(np.array([0.4999999, 0.4999999]), 1000, seed=1)
        assert counts.sum() == 1000


# -- key formatting ---------------------------------------------------------------------------
LAYOUTS = [
    (3, [["c", 3]]),
    (5, [["a", 2], ["b", 3]]),
    (6, [["a", 1], ["b", 2], ["c", 3]]),
    (4, [["c", 2]]),  # two clbits outside any register: Qiskit drops the right-most chars
    (3, []),  # only registerless clbits: no split
    (3, [["a", 2], ["b", 2]]),  # overlapping registers (sizes sum past memory_slots)
    (2, [["a", 0], ["b", 2]]),  # an empty register
    (1, [["c", 1]]),
]


@pytest.mark.parametrize(("memory_slots", "creg_sizes"), LAYOUTS)
def test_keys_match_qiskit_format_counts_memory(memory_slots, creg_sizes):
    values = np.arange(2**memory_slots, dtype=np.uint64)
    layout = key_layout(memory_slots, creg_sizes)
    keys = format_keys(values, layout, {j: j for j in range(memory_slots)})
    header = {"memory_slots": memory_slots, "creg_sizes": creg_sizes}
    assert keys == [format_counts_memory(hex(v), header) for v in range(2**memory_slots)]


def test_key_layout_of_no_clbits_is_empty():
    assert key_layout(0, []) == []


def test_keys_of_unmeasured_clbits_print_zero():
    layout = key_layout(3, [["c", 3]])
    assert format_keys(np.array([0, 1], dtype=np.uint64), layout, {1: 0}) == ["000", "010"]


# -- build_experiment -------------------------------------------------------------------------
class TestBuildExperiment:
    def test_bell_pair_rounded(self):
        exp = _build({"0": 0.5, "3": 0.5}, [0, 1], _header(2, [["c", 2]], 2), num_qubits=2)
        assert isinstance(exp, ExperimentData)
        assert exp.counts == {"00": 500, "11": 500}
        assert exp.probabilities == {"00": 0.5, "11": 0.5}
        assert exp.shots == 1000

    def test_several_registers_and_partial_measurement(self):
        # clbits: a[0] a[1] | b[0] b[1] b[2]; q0 -> b[2], q2 -> a[0], q0 -> a[1]; b[0], b[1] unset
        header = _header(5, [["a", 2], ["b", 3]])
        exp = _build({"1": 0.5, "5": 0.5}, [2, 0, None, None, 0], header)
        assert exp.probabilities == {"100 10": 0.5, "100 11": 0.5}
        assert sum(exp.counts.values()) == 1000

    def test_without_header_assumes_one_register(self):
        exp = _build({"1": 0.25, "6": 0.75}, None, None, num_qubits=3, shots=4)
        assert exp.counts == {"001": 1, "110": 3}
        assert exp.header["creg_sizes"] == [["c", 3]]
        assert exp.header["memory_slots"] == 3
        assert exp.header["n_qubits"] == 3
        assert exp.header["qreg_sizes"] == [["q", 3]]
        assert exp.header == default_header(3, 3)

    def test_without_header_but_with_a_map(self):
        exp = _build({"1": 1.0}, [0, None], None, num_qubits=3, shots=4)
        assert exp.counts == {"01": 4}
        assert exp.header["creg_sizes"] == [["c", 2]]

    def test_header_without_map_defaults_to_qubit_order(self):
        exp = _build({"5": 1.0}, None, _header(2, [["c", 2]]), shots=3)
        assert exp.counts == {"01": 3}
        exp = _build({"5": 1.0}, None, _header(4, [["c", 4]]), shots=3)
        assert exp.counts == {"0101": 3}

    def test_map_not_matching_header_is_an_error(self):
        with pytest.raises(
            IonQJobError, match="has 2 entries but the experiment header declares 3"
        ):
            _build({"0": 1.0}, [0, 1], _header(3, [["c", 3]]))

    def test_no_clbits_gives_empty_results(self):
        # Qiskit's simulators report {} for a circuit without classical bits.
        exp = _build({"0": 0.5, "1": 0.5}, [], _header(0, []))
        assert exp.counts == {} and exp.probabilities == {}
        exp = _build({"0": 0.5, "1": 0.5}, None, _header(0, []))
        assert exp.counts == {}

    def test_clbits_never_written_read_all_zeros(self):
        exp = _build({"0": 0.5, "1": 0.5}, [None, None], _header(2, [["c", 2]]), shots=10)
        assert exp.counts == {"00": 10}
        assert exp.probabilities == {"00": 1.0}

    def test_sampled_counts_are_repeatable_and_probabilities_complete(self):
        histogram = {str(k): 1 / 64 for k in range(64)}
        header = _header(6, [["c", 6]], 6)
        first = _build(histogram, list(range(6)), header, 6, shots=10, sample=True, seed=7)
        second = _build(histogram, list(range(6)), header, 6, shots=10, sample=True, seed=7)
        assert first.counts == second.counts
        assert sum(first.counts.values()) == 10
        assert len(first.probabilities) == 64  # every outcome, not only the sampled ones
        assert sum(first.probabilities.values()) == pytest.approx(1.0, abs=1e-12)
        assert set(first.counts) <= set(first.probabilities)

    def test_probabilities_are_not_renormalized(self):
        exp = _build({"0": 0.499999, "1": 0.499999}, [0], _header(1, [["c", 1]]))
        assert exp.probabilities == {"0": 0.499999, "1": 0.499999}
        assert exp.outcome_counts.sum() == exp.shots  # counts still add up

    def test_registerless_clbits_collide_like_qiskit_keys_and_are_summed(self):
        # clbits: c[0], then one registerless clbit; Qiskit's key shows only the left-most
        # character (clbit 1), so outcomes differing in clbit 0 share a key: summed.
        header = _header(2, [["c", 1]], 2)
        exp = _build({"0": 0.25, "1": 0.25, "2": 0.5}, [0, 1], header, 2, shots=8)
        assert exp.probabilities == {"0": 0.5, "1": 0.5}
        assert exp.counts == {"0": 4, "1": 4}
        assert not exp.keys_show_every_clbit

    def test_wide_classical_register(self):
        meas_map = [None] * 70
        meas_map[0] = 0
        meas_map[69] = 1
        exp = _build({"1": 0.5, "2": 0.5}, meas_map, _header(70, [["c", 70]], 2), 2, shots=2)
        assert exp.counts == {"0" * 69 + "1": 1, "1" + "0" * 69: 1}
        assert exp.hex_counts == {"0x1": 1, hex(1 << 69): 1}

    def test_bad_histogram_is_reported(self):
        with pytest.raises(IonQJobError, match="result key 8 does not fit in the 3-qubit"):
            _build({"8": 1.0}, [0], _header(1, [["c", 1]]))
        with pytest.raises(IonQJobError, match="no outcome of non-zero probability"):
            _build({}, [0], _header(1, [["c", 1]]))

    def test_dicts_are_built_lazily(self):
        exp = _build({str(k): 1 / 16 for k in range(16)}, [0, 1, 2, 3], None, 4, shots=3)
        assert "keys" not in exp.__dict__ and "probabilities" not in exp.__dict__
        assert len(exp.counts) <= 3
        assert "keys" not in exp.__dict__  # only the counted outcomes were formatted
        assert len(exp.probabilities) == 16
        assert "ExperimentData(" in repr(exp)
