"""Job body, header and metadata: build_job_body, qiskit_to_ionq and their helpers."""

from __future__ import annotations

import json
from types import SimpleNamespace
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from qiskit.circuit import (
    ClassicalRegister,
    Clbit,
    Parameter,
    QuantumCircuit,
    QuantumRegister,
    Qubit,
)

from qiskit_ionq.constants import SUBMISSION_ID_KEY, ErrorMitigation
from qiskit_ionq.exceptions import (
    IonQCircuitError,
    IonQGateError,
    IonQInvalidOptionError,
)
from qiskit_ionq.serializer import (
    build_header,
    build_job_body,
    compress_dict_to_metadata_string,
    decompress_metadata_string_to_dict,
    get_register_sizes_and_labels,
    qiskit_to_ionq,
    target_from_backend_name,
)

# Qiskit's own internals warn about their deprecations (opflow on 0.46, MCX synthesis classes
# on 1.x) and scipy about sparse formats while the tests build reference states; warnings
# raised on behalf of qiskit_ionq are not filtered (their module is not `qiskit.`).
pytestmark = [
    pytest.mark.filterwarnings(r"ignore::DeprecationWarning:qiskit\."),
    pytest.mark.filterwarnings(r"ignore::PendingDeprecationWarning:qiskit\."),
    pytest.mark.filterwarnings("ignore:.*CSC"),
]


def bell(name: str = "bell") -> QuantumCircuit:
    qc = QuantumCircuit(2, 2, name=name)
    qc.h(0)
    qc.cx(0, 1)
    qc.measure([0, 1], [0, 1])
    return qc


# ------------------------------------------------------------------------------ target names


@pytest.mark.parametrize(
    ("name", "target"),
    [
        ("ionq_simulator", "simulator"),
        ("simulator", "simulator"),
        ("ionq_qpu", "qpu"),
        ("qpu", "qpu"),
        ("ionq_qpu.aria-1", "qpu.aria-1"),
        ("qpu.aria-1", "qpu.aria-1"),
        ("ionq_qpu.forte-1", "qpu.forte-1"),
    ],
)
def test_target_from_backend_name(name: str, target: str) -> None:
    assert target_from_backend_name(name) == target


# ----------------------------------------------------------------------------------- header


def test_register_sizes_and_labels() -> None:
    sizes, labels = get_register_sizes_and_labels(
        [ClassicalRegister(2, "a"), ClassicalRegister(1, "b")]
    )
    assert sizes == [["a", 2], ["b", 1]]
    assert labels == [["a", 0], ["a", 1], ["b", 0]]
    assert get_register_sizes_and_labels([]) == ([], [])


def test_header_layout() -> None:
    qr, a, b = QuantumRegister(3, "q"), ClassicalRegister(1, "a"), ClassicalRegister(2, "b")
    qc = QuantumCircuit(qr, a, b, name="exp", global_phase=0.5, metadata={"run": 3})
    assert build_header(qc) == {
        "name": "exp",
        "global_phase": 0.5,
        "n_qubits": 3,
        "qreg_sizes": [["q", 3]],
        "qubit_labels": [["q", 0], ["q", 1], ["q", 2]],
        "memory_slots": 3,
        "creg_sizes": [["a", 1], ["b", 2]],
        "clbit_labels": [["a", 0], ["b", 0], ["b", 1]],
        "metadata": {"run": 3},
    }


def test_header_with_loose_bits_parameterized_phase_and_odd_metadata() -> None:
    qc = QuantumCircuit([Qubit(), Qubit()], ClassicalRegister(1, "c"), [Clbit()])
    qc.global_phase = Parameter("g")
    qc.metadata = {"obj": object()}
    header = build_header(qc)
    assert header["qreg_sizes"] == []
    assert header["qubit_labels"] == [[None, 0], [None, 1]]
    assert header["creg_sizes"] == [["c", 1]]
    assert header["clbit_labels"] == [["c", 0], [None, 1]]
    assert header["memory_slots"] == 2
    assert header["global_phase"] == 0.0
    assert "metadata" not in header  # nothing JSON could keep
    json.dumps(header)


# --------------------------------------------------------------------------------- metadata


def test_compress_round_trip_and_determinism() -> None:
    header = build_header(bell())
    text = compress_dict_to_metadata_string(header)
    assert text.isascii()
    assert decompress_metadata_string_to_dict(text) == header
    assert compress_dict_to_metadata_string(header) == text  # gzip mtime fixed
    assert decompress_metadata_string_to_dict(text.encode("ascii")) == header


_json = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(),
    lambda children: st.lists(children) | st.dictionaries(st.text(), children),
    max_leaves=20,
)


@settings(max_examples=50, deadline=None)
@given(_json)
def test_compress_round_trips_any_json_value(value: Any) -> None:
    assert decompress_metadata_string_to_dict(compress_dict_to_metadata_string(value)) == value


# ------------------------------------------------------------------------------- job bodies


def test_single_circuit_body_layout() -> None:
    body = build_job_body(bell(), target="simulator", shots=100, sampler_seed=7)
    header = body["metadata"].pop("qiskit_header")
    assert body == {
        "target": "simulator",
        "shots": 100,
        "name": "bell",
        "input": {
            "format": "ionq.circuit.v0",
            "gateset": "qis",
            "qubits": 2,
            "circuit": [
                {"gate": "h", "targets": [0]},
                {"gate": "x", "controls": [0], "targets": [1]},
            ],
        },
        "registers": {"meas_mapped": [0, 1]},
        "metadata": {"shots": "100", "sampler_seed": "7"},
        "noise": {"model": "ideal", "seed": 7},
    }
    # The header also carries the measurement map (API v0.4 echoes no `registers`).
    expected_header = {**build_header(bell()), "meas_mapped": [0, 1]}
    assert decompress_metadata_string_to_dict(header) == expected_header
    json.dumps(body)


def test_qpu_body_has_no_noise_and_sampler_seed_none() -> None:
    body = build_job_body(bell(), target="qpu.aria-1", noise_model="aria-1")
    assert "noise" not in body
    assert body["metadata"]["sampler_seed"] == "None"
    assert body["shots"] == 1024
    assert "settings" not in body and "error_mitigation" not in body


def test_noise_model_for_simulator() -> None:
    body = build_job_body(bell(), target="simulator", noise_model="aria-1", sampler_seed=3)
    assert body["noise"] == {"model": "aria-1", "seed": 3}


def test_no_clbits_gives_empty_registers() -> None:
    qc = QuantumCircuit(3, name="plain")
    qc.h(0)
    body = build_job_body(qc, target="simulator")
    assert body["registers"] == {}
    assert body["input"]["qubits"] == 3


def test_multi_circuit_body_layout() -> None:
    second = QuantumCircuit(3, 1, name="ghz")
    second.h(2)
    second.measure(2, 0)
    body = build_job_body([bell(), second], target="simulator", gateset="qis")
    assert body["name"] == "2 circuits"
    assert "registers" not in body
    assert body["input"]["qubits"] == 3
    assert "circuit" not in body["input"]
    assert body["input"]["circuits"] == [
        {
            "name": "bell",
            "circuit": [
                {"gate": "h", "targets": [0]},
                {"gate": "x", "controls": [0], "targets": [1]},
            ],
            "registers": {"meas_mapped": [0, 1]},
        },
        {
            "name": "ghz",
            "circuit": [{"gate": "h", "targets": [2]}],
            "registers": {"meas_mapped": [2]},
        },
    ]
    headers = decompress_metadata_string_to_dict(body["metadata"]["qiskit_header"])
    assert headers == [
        {**build_header(bell()), "meas_mapped": [0, 1]},
        {**build_header(second), "meas_mapped": [2]},
    ]


def test_list_of_one_is_a_single_circuit_body() -> None:
    body = build_job_body([bell()], target="simulator")
    assert body["name"] == "bell"
    assert "circuit" in body["input"] and "circuits" not in body["input"]
    assert body["registers"] == {"meas_mapped": [0, 1]}
    assert isinstance(decompress_metadata_string_to_dict(body["metadata"]["qiskit_header"]), dict)


def test_empty_list_is_refused() -> None:
    with pytest.raises(IonQCircuitError, match="no circuits"):
        build_job_body([], target="simulator")


def test_explicit_name() -> None:
    assert build_job_body(bell(), target="simulator", name="mine")["name"] == "mine"


def test_settings_error_mitigation_and_extra_query_params() -> None:
    body = build_job_body(
        bell(),
        target="qpu.aria-1",
        job_settings={"compilation": {"opt": 1}},
        error_mitigation=ErrorMitigation.DEBIASING,
        extra_query_params={"shots": 5, "custom": True},
    )
    assert body["settings"] == {"compilation": {"opt": 1}}
    assert body["error_mitigation"] == {"debias": True}
    assert body["custom"] is True
    assert body["shots"] == 5  # merged last, so it wins
    as_dict = build_job_body(bell(), target="qpu", error_mitigation={"debias": False})
    assert as_dict["error_mitigation"] == {"debias": False}
    with pytest.raises(IonQInvalidOptionError, match="error_mitigation"):
        build_job_body(bell(), target="qpu", error_mitigation="debias")


def test_native_gateset_body() -> None:
    from qiskit_ionq.ionq_gates import GPIGate

    qc = QuantumCircuit(1, 1, name="n")
    qc.append(GPIGate(0.25), [0])
    qc.measure(0, 0)
    body = build_job_body(qc, target="qpu.aria-1", gateset="native")
    assert body["input"]["gateset"] == "native"
    assert body["input"]["circuit"] == [{"gate": "gpi", "target": 0, "phase": 0.25}]
    with pytest.raises(IonQGateError):
        build_job_body(bell(), target="qpu.aria-1", gateset="native")


def test_extra_metadata_is_stringified() -> None:
    body = build_job_body(bell(), target="simulator", extra_metadata={"user": "ada", "n": 3})
    assert body["metadata"]["user"] == "ada"
    assert body["metadata"]["n"] == "3"


def test_extra_metadata_limits() -> None:
    # 10 vendor keys - 1 for the submission id - shots, sampler_seed, qiskit_header = 6.
    six = {f"k{i}": "v" for i in range(6)}
    assert len(build_job_body(bell(), target="simulator", extra_metadata=six)["metadata"]) == 9
    with pytest.raises(IonQInvalidOptionError, match="at most 6"):
        build_job_body(bell(), target="simulator", extra_metadata={**six, "k6": "v"})
    with pytest.raises(IonQInvalidOptionError, match="40"):
        build_job_body(bell(), target="simulator", extra_metadata={"k" * 41: "v"})
    assert build_job_body(bell(), target="simulator", extra_metadata={"k" * 40: "v" * 40_000})
    with pytest.raises(IonQInvalidOptionError, match="40000"):
        build_job_body(bell(), target="simulator", extra_metadata={"k": "v" * 40_001})
    for reserved in ("shots", "qiskit_header", SUBMISSION_ID_KEY):
        with pytest.raises(IonQInvalidOptionError, match="reserved"):
            build_job_body(bell(), target="simulator", extra_metadata={reserved: "x"})
    with pytest.raises(IonQInvalidOptionError):
        build_job_body(bell(), target="simulator", extra_metadata=["not", "a", "dict"])


def test_over_long_header_advises_splitting() -> None:
    # Register names that do not compress: many circuits, each with random-named registers.
    import random

    rng = random.Random(0)
    circuits = []
    for i in range(60):
        regs = [
            ClassicalRegister(1, "".join(rng.choice("abcdefghijklmnop") for _ in range(60)))
            for _ in range(12)
        ]
        circuits.append(QuantumCircuit(QuantumRegister(1), *regs, name=f"c{i}"))
    with pytest.raises(IonQCircuitError, match="Split the job"):
        build_job_body(circuits, target="simulator")


def test_invalid_extra_query_params() -> None:
    with pytest.raises(IonQInvalidOptionError):
        build_job_body(bell(), target="simulator", extra_query_params=[("a", 1)])  # type: ignore[arg-type]


# --------------------------------------------------------------------------- qiskit_to_ionq


class _V1Backend:
    """A BackendV1-style stand-in: ``name()`` and ``gateset()`` are methods."""

    def __init__(self, name: str = "ionq_simulator", gateset: str = "qis", **options: Any):
        self._name, self._gateset = name, gateset
        defaults = {
            "shots": 1024,
            "job_settings": None,
            "error_mitigation": None,
            "extra_metadata": None,
            "noise_model": "ideal",
            "sampler_seed": None,
        }
        self.options = SimpleNamespace(**{**defaults, **options})

    def name(self) -> str:
        return self._name

    def gateset(self) -> str:
        return self._gateset


def test_qiskit_to_ionq_reads_backend_and_options() -> None:
    backend = _V1Backend(shots=300, noise_model="aria-1", sampler_seed=5)
    body = json.loads(qiskit_to_ionq(bell(), backend))
    assert body["target"] == "simulator"
    assert body["shots"] == 300
    assert body["noise"] == {"model": "aria-1", "seed": 5}
    assert body["metadata"]["shots"] == "300"
    assert body["metadata"]["sampler_seed"] == "5"


def test_qiskit_to_ionq_passed_args_override_options() -> None:
    backend = _V1Backend(shots=300)
    body = json.loads(
        qiskit_to_ionq(
            bell(),
            backend,
            passed_args={
                "shots": 50,
                "sampler_seed": 9,
                "noise_model": None,
                "job_settings": {"a": 1},
                "error_mitigation": ErrorMitigation.NO_DEBIASING,
            },
            extra_query_params={"extra": "yes"},
            extra_metadata={"tag": "t"},
        )
    )
    assert body["shots"] == 50
    assert body["noise"] == {"model": "ideal", "seed": 9}  # explicit None -> ideal
    assert body["settings"] == {"a": 1}
    assert body["error_mitigation"] == {"debias": False}
    assert body["extra"] == "yes"
    assert body["metadata"]["tag"] == "t"


def test_qiskit_to_ionq_property_name_backend_and_multi() -> None:
    # BackendV2 style: `name` is a property.
    backend = SimpleNamespace(name="ionq_qpu.aria-1", gateset=lambda: "qis", options=None)
    body = json.loads(qiskit_to_ionq([bell("a"), bell("b")], backend))
    assert body["target"] == "qpu.aria-1"
    assert body["name"] == "2 circuits"
    assert [c["name"] for c in body["input"]["circuits"]] == ["a", "b"]
    assert body["shots"] == 1024
    assert "noise" not in body


def test_qiskit_to_ionq_extra_metadata_from_options_and_synthesis_flag() -> None:
    from qiskit.circuit.library import PauliEvolutionGate
    from qiskit.quantum_info import SparsePauliOp

    qc = QuantumCircuit(2, name="evo")
    qc.append(PauliEvolutionGate(SparsePauliOp(["XI", "ZI"]), time=1.0), [0, 1])
    backend = _V1Backend(extra_metadata={"from": "options"})
    with pytest.raises(Exception, match="commute"):
        qiskit_to_ionq(qc, backend)
    body = json.loads(qiskit_to_ionq(qc, backend, passed_args={"ionq_compiler_synthesis": True}))
    assert body["input"]["circuit"][0]["gate"] == "pauliexp"
    assert body["metadata"]["from"] == "options"


def test_qiskit_to_ionq_unserializable_settings() -> None:
    with pytest.raises(IonQInvalidOptionError, match="JSON"):
        qiskit_to_ionq(bell(), _V1Backend(job_settings={"x": object()}))
