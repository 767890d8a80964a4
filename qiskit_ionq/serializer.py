"""Qiskit circuits -> IonQ API v0.3 job bodies (``ionq.circuit.v0``). Pure: no I/O.

Layers, from the inside out:

* :func:`qiskit_circ_to_ionq_circ` walks one circuit once and returns its gate objects, the
  number of measurements and the measurement map (gate tables in
  :mod:`qiskit_ionq.serializer_gates`).
* :func:`build_header` and the metadata helpers write the compressed Qiskit header that the
  results layer reads back (layout in ``docs/design.md``).
* :func:`build_job_body` assembles the POST /jobs body for one circuit or several and checks
  the vendor's metadata limits before anything is sent; :func:`qiskit_to_ionq` does the same
  from a backend and run options and returns JSON text.
"""

from __future__ import annotations

import base64
import gc
import gzip
import json
from contextlib import contextmanager
from typing import Any, Dict, Iterator, List, Mapping, Optional, Sequence, Set, Tuple, Union

from qiskit.circuit import QuantumCircuit

from .constants import (
    METADATA_MAX_KEY_LENGTH,
    METADATA_MAX_KEYS,
    METADATA_MAX_VALUE_LENGTH,
    SUBMISSION_ID_KEY,
    ErrorMitigation,
)
from .exceptions import IonQCircuitError, IonQInvalidOptionError, IonQMidCircuitMeasurementError
from .serializer_gates import (
    NATIVE_EMITTERS,
    QIS_EMITTERS,
    Emitter,
    classical_control_error,
    pauliexp_gate,
    resolve_emitter,
)

__all__ = [
    "GATESETS",
    "qiskit_circ_to_ionq_circ",
    "build_header",
    "get_register_sizes_and_labels",
    "compress_dict_to_metadata_string",
    "decompress_metadata_string_to_dict",
    "target_from_backend_name",
    "build_job_body",
    "qiskit_to_ionq",
]

GATESETS = ("qis", "native")
CIRCUIT_FORMAT = "ionq.circuit.v0"
# Keys the serializer writes itself; the client adds SUBMISSION_ID_KEY on top of them.
_RESERVED_METADATA_KEYS = frozenset({"shots", "sampler_seed", "qiskit_header", SUBMISSION_ID_KEY})
# Of the vendor's ten metadata keys, one is kept free for the client's submission id and
# three hold shots, sampler_seed and qiskit_header: the user gets the rest.
_MAX_OWN_METADATA_KEYS = METADATA_MAX_KEYS - 1
_MAX_EXTRA_METADATA_KEYS = _MAX_OWN_METADATA_KEYS - 3
# Instructions that never touch the quantum state: allowed after a measurement.
_NO_EFFECT = frozenset({"barrier", "id", "i", "delay"})

Gate = Dict[str, Any]
MeasMap = List[Optional[int]]


@contextmanager
def _gc_paused() -> Iterator[None]:
    """Pause the cyclic garbage collector while building many small containers.

    Each gate becomes a dict and a list; creating 100k of them triggers generation-2
    collections that traverse the whole circuit (another 100k+ objects) over and over, which
    tripled serialization time in measurements. Nothing built here is cyclic, so pausing is
    safe; reference counting still frees garbage and the previous state is restored.
    """
    was_enabled = gc.isenabled()
    if was_enabled:
        gc.disable()
    try:
        yield
    finally:
        if was_enabled:
            gc.enable()


def qiskit_circ_to_ionq_circ(
    circuit: QuantumCircuit, gateset: str = "qis", ionq_compiler_synthesis: bool = False
) -> Tuple[List[Gate], int, MeasMap]:
    """Serialize one circuit into ``ionq.circuit.v0`` gate objects.

    The circuit is walked once. Bit indices come from maps built once per circuit, and each
    instruction is dispatched by one dict lookup on its name.

    Args:
        circuit: the Qiskit circuit (parameters bound).
        gateset: ``"qis"`` (standard gates, compiled by IonQ) or ``"native"`` (gpi, gpi2, ms,
            zz; the circuit runs as written).
        ionq_compiler_synthesis: let ``pauliexp`` gates with non-commuting terms through, for
            IonQ's compiler to approximate.

    Returns:
        ``(gates, num_measurements, meas_map)``: the gate dicts; how many ``measure``
        instructions the circuit holds; and for each classical bit the qubit measured into it
        last, or ``None`` when nothing was.

    Raises:
        IonQGateError: an instruction outside the gateset.
        IonQMidCircuitMeasurementError: a gate on a qubit after that qubit was measured (IonQ
            measures every qubit once, at the end).
        IonQCircuitError: classical control, an unbound parameter, too many controls, an MS
            angle out of range.
        IonQPauliExponentialError: a PauliEvolutionGate that cannot be sent as ``pauliexp``.
        IonQInvalidOptionError: an unknown gateset.
    """
    if gateset == "qis":
        table: Dict[str, Emitter] = dict(QIS_EMITTERS)

        def emit_pauliexp(op: Any, qubits: List[int], out: List[Gate]) -> None:
            out.append(pauliexp_gate(op, qubits, ionq_compiler_synthesis))

        table["PauliEvolution"] = emit_pauliexp
    elif gateset == "native":
        table = NATIVE_EMITTERS
    else:
        raise IonQInvalidOptionError(f"Unknown gateset {gateset!r}: use 'qis' or 'native'.")

    qubit_index = {bit: i for i, bit in enumerate(circuit.qubits)}
    clbit_index = {bit: i for i, bit in enumerate(circuit.clbits)}
    gates: List[Gate] = []
    meas_map: MeasMap = [None] * len(clbit_index)
    measured: Set[int] = set()
    num_measurements = 0
    # Circuits reuse few qarg tuples; caching their index lists beats re-mapping each bit.
    qargs_cache: Dict[Tuple[Any, ...], List[int]] = {}
    with _gc_paused():
        for instruction in circuit.data:
            op = instruction.operation
            name = op.name
            # Qiskit < 2 marks c_if gates with a condition; Qiskit 2 has only control flow,
            # which resolve_emitter refuses. We read the private `_condition` because the
            # public `condition` property is deprecated since Qiskit 1.3: each access goes
            # through the deprecation wrapper (about 1 us, doubling the cost of a gate) and
            # warns the user. `_condition` backs that property on every Qiskit < 2.
            if getattr(op, "_condition", None) is not None:
                raise classical_control_error(name)
            if name == "measure":
                qubit = qubit_index[instruction.qubits[0]]
                meas_map[clbit_index[instruction.clbits[0]]] = qubit
                measured.add(qubit)
                num_measurements += 1
                continue
            if name in _NO_EFFECT:
                continue
            qargs = instruction.qubits
            indices = qargs_cache.get(qargs)
            if indices is None:
                indices = qargs_cache[qargs] = [qubit_index[bit] for bit in qargs]
            qubits = indices.copy()  # a fresh list: emitters keep it in their gate dict
            if measured and not measured.isdisjoint(qubits):
                first = next(q for q in qubits if q in measured)
                raise IonQMidCircuitMeasurementError(first, name)
            emit = table.get(name)
            if emit is None:
                emit = resolve_emitter(op, gateset)
            emit(op, qubits, gates)
    return gates, num_measurements, meas_map


# --------------------------------------------------------------------------------------------
# Experiment header and metadata
# --------------------------------------------------------------------------------------------


def get_register_sizes_and_labels(
    registers: Sequence[Any],
) -> Tuple[List[List[Any]], List[List[Any]]]:
    """Return ``(sizes, labels)`` of registers, as Qiskit's experiment headers write them.

    Args:
        registers: quantum or classical registers (``circuit.qregs`` / ``circuit.cregs``).

    Returns:
        ``sizes`` = ``[[name, size], ...]`` in the given order and ``labels`` =
        ``[[name, i], ...]`` for every bit ``i`` of every register.
    """
    sizes: List[List[Any]] = []
    labels: List[List[Any]] = []
    for register in registers:
        sizes.append([register.name, register.size])
        labels.extend([register.name, i] for i in range(register.size))
    return sizes, labels


def _bit_labels(bits: Sequence[Any], registers: Sequence[Any]) -> List[List[Any]]:
    """One ``[register name, index in it]`` per bit (first register wins), ``[None, i]`` if loose.

    Labels follow the circuit's bits rather than the registers so that there is exactly one
    per bit even with loose bits or registers sharing bits (see docs/design.md).
    """
    found: Dict[Any, List[Any]] = {}
    for register in registers:
        for i, bit in enumerate(register):
            found.setdefault(bit, [register.name, i])
    return [found.get(bit, [None, i]) for i, bit in enumerate(bits)]


def _json_or_empty(value: Any) -> Any:
    """``value`` when it is JSON-serializable (a copy through JSON), else ``{}``."""
    if value is None:
        return {}
    try:
        return json.loads(json.dumps(value))
    except (TypeError, ValueError):
        return {}


def build_header(circuit: QuantumCircuit) -> Dict[str, Any]:
    """The Qiskit experiment header stored with the job, read back by the results layer.

    It carries what is needed to turn IonQ's qubit histogram into Qiskit counts (register
    sizes and labels, memory slots) and to rebuild a Result (name, global phase, metadata).

    Args:
        circuit: the circuit being submitted.

    Returns:
        A JSON-serializable dict in the layout of ``docs/design.md``.
    """
    qreg_sizes, _ = get_register_sizes_and_labels(circuit.qregs)
    creg_sizes, _ = get_register_sizes_and_labels(circuit.cregs)
    try:
        global_phase = float(circuit.global_phase)
    except (TypeError, ValueError):  # still parameterized: irrelevant to probabilities
        global_phase = 0.0
    return {
        "name": circuit.name,
        "global_phase": global_phase,
        "n_qubits": circuit.num_qubits,
        "qreg_sizes": qreg_sizes,
        "qubit_labels": _bit_labels(circuit.qubits, circuit.qregs),
        "memory_slots": circuit.num_clbits,
        "creg_sizes": creg_sizes,
        "clbit_labels": _bit_labels(circuit.clbits, circuit.cregs),
        "metadata": _json_or_empty(circuit.metadata),
    }


def compress_dict_to_metadata_string(obj: Any) -> str:
    """JSON -> gzip -> base64 (ASCII). Deterministic: the gzip timestamp is fixed at 0.

    Args:
        obj: any JSON-serializable value.

    Returns:
        The ASCII text to store as a metadata value.
    """
    raw = json.dumps(obj, separators=(",", ":")).encode("utf-8")
    return base64.b64encode(gzip.compress(raw, mtime=0)).decode("ascii")


def decompress_metadata_string_to_dict(text: Union[str, bytes]) -> Any:
    """Inverse of :func:`compress_dict_to_metadata_string`: base64 -> gunzip -> JSON value."""
    return json.loads(gzip.decompress(base64.b64decode(text)).decode("utf-8"))


# --------------------------------------------------------------------------------------------
# Job body
# --------------------------------------------------------------------------------------------


def target_from_backend_name(name: str) -> str:
    """The API target for a backend name: drop the ``ionq_`` prefix.

    ``ionq_simulator`` -> ``simulator``, ``ionq_qpu`` -> ``qpu``, ``ionq_qpu.aria-1`` (or
    ``qpu.aria-1``) -> ``qpu.aria-1``.
    """
    return name[len("ionq_") :] if name.startswith("ionq_") else name


def _error_mitigation_value(value: Any) -> Dict[str, Any]:
    if isinstance(value, ErrorMitigation):
        return dict(value.value)
    if isinstance(value, Mapping):
        return dict(value)
    raise IonQInvalidOptionError(
        f"error_mitigation must be an ErrorMitigation member or a dict such as "
        f'{{"debias": true}}, not {value!r}.'
    )


def _stringify_extra_metadata(extra_metadata: Optional[Mapping[str, Any]]) -> Dict[str, str]:
    """Check user metadata against the vendor's limits and turn its values into strings."""
    if extra_metadata is None:
        return {}
    if not isinstance(extra_metadata, Mapping):
        raise IonQInvalidOptionError(
            f"extra_metadata must be a dict of strings, not {type(extra_metadata).__name__}."
        )
    out: Dict[str, str] = {}
    for key, value in extra_metadata.items():
        key = str(key)
        if key in _RESERVED_METADATA_KEYS:
            raise IonQInvalidOptionError(
                f"extra_metadata key {key!r} is reserved by qiskit_ionq; choose another name."
            )
        if len(key) > METADATA_MAX_KEY_LENGTH:
            raise IonQInvalidOptionError(
                f"extra_metadata key {key!r} is {len(key)} characters long; IonQ allows at "
                f"most {METADATA_MAX_KEY_LENGTH}."
            )
        text = value if isinstance(value, str) else str(value)
        if len(text) > METADATA_MAX_VALUE_LENGTH:
            raise IonQInvalidOptionError(
                f"extra_metadata value of {key!r} is {len(text)} characters long; IonQ allows "
                f"at most {METADATA_MAX_VALUE_LENGTH}."
            )
        out[key] = text
    return out


def _as_circuit_list(circuits: Any) -> List[QuantumCircuit]:
    if isinstance(circuits, QuantumCircuit):
        return [circuits]
    circuit_list = list(circuits)
    if not circuit_list:
        raise IonQCircuitError("There are no circuits to run: pass at least one circuit.")
    return circuit_list


def build_job_body(
    circuits: Union[QuantumCircuit, Sequence[QuantumCircuit]],
    *,
    target: str,
    gateset: str = "qis",
    shots: int = 1024,
    name: Optional[str] = None,
    noise_model: Optional[str] = None,
    sampler_seed: Optional[int] = None,
    job_settings: Optional[Mapping[str, Any]] = None,
    error_mitigation: Any = None,
    extra_metadata: Optional[Mapping[str, Any]] = None,
    extra_query_params: Optional[Mapping[str, Any]] = None,
    ionq_compiler_synthesis: bool = False,
) -> Dict[str, Any]:
    """Build the POST /jobs body (fact sheet §3) for one circuit or a multi-circuit job.

    Args:
        circuits: one circuit, or a list (a list of one gives a single-circuit body).
        target: API target, e.g. ``"simulator"`` or ``"qpu.aria-1"``.
        gateset: ``"qis"`` or ``"native"``.
        shots: number of shots.
        name: job name; defaults to the circuit name, or ``"<N> circuits"``.
        noise_model: simulator noise model (``None`` = ``"ideal"``); sent only to the simulator.
        sampler_seed: seed of the simulator's noise and of the client-side count sampling.
        job_settings: sent as ``settings`` when given.
        error_mitigation: an :class:`ErrorMitigation` or a dict, sent when given.
        extra_metadata: more metadata (values are stringified).
        extra_query_params: merged into the top level of the body last.
        ionq_compiler_synthesis: see :func:`qiskit_circ_to_ionq_circ`.

    Returns:
        The body as a JSON-serializable dict.

    Raises:
        IonQCircuitError: no circuits, unsupported content, or a header too long for the
            vendor's metadata limits (split the job).
        IonQInvalidOptionError: extra metadata beyond the vendor's limits, or bad options.
    """
    circuit_list = _as_circuit_list(circuits)
    extra = _stringify_extra_metadata(extra_metadata)
    if len(extra) > _MAX_EXTRA_METADATA_KEYS:
        raise IonQInvalidOptionError(
            f"extra_metadata has {len(extra)} keys, but at most {_MAX_EXTRA_METADATA_KEYS} "
            f"fit: IonQ allows {METADATA_MAX_KEYS} metadata keys per job, and qiskit_ionq "
            "uses 4 (shots, sampler_seed, qiskit_header and the submission id)."
        )
    if extra_query_params is not None and not isinstance(extra_query_params, Mapping):
        raise IonQInvalidOptionError("extra_query_params must be a dict.")

    serialized = [
        qiskit_circ_to_ionq_circ(c, gateset, ionq_compiler_synthesis) for c in circuit_list
    ]
    headers = [build_header(c) for c in circuit_list]
    program: Dict[str, Any] = {
        "format": CIRCUIT_FORMAT,
        "gateset": gateset,
        "qubits": max(c.num_qubits for c in circuit_list),
    }
    body: Dict[str, Any] = {"target": target, "shots": int(shots)}
    if len(circuit_list) == 1:
        circuit = circuit_list[0]
        gates, _, meas_map = serialized[0]
        body["name"] = circuit.name if name is None else name
        program["circuit"] = gates
        body["input"] = program
        body["registers"] = {"meas_mapped": meas_map} if circuit.num_clbits else {}
        header = compress_dict_to_metadata_string(headers[0])
    else:
        body["name"] = f"{len(circuit_list)} circuits" if name is None else name
        program["circuits"] = [
            {"name": c.name, "circuit": gates, "registers": {"meas_mapped": meas_map}}
            for c, (gates, _, meas_map) in zip(circuit_list, serialized)
        ]
        body["input"] = program
        header = compress_dict_to_metadata_string(headers)
    if len(header) > METADATA_MAX_VALUE_LENGTH:
        raise IonQCircuitError(
            f"The compressed Qiskit header of this job is {len(header)} characters long, over "
            f"IonQ's {METADATA_MAX_VALUE_LENGTH}-character metadata limit. Split the job into "
            "several jobs with fewer circuits (or fewer registers per circuit)."
        )
    body["metadata"] = {
        "shots": str(body["shots"]),
        "sampler_seed": str(sampler_seed),
        "qiskit_header": header,
        **extra,
    }
    if target == "simulator":
        body["noise"] = {"model": noise_model or "ideal", "seed": sampler_seed}
    if job_settings is not None:
        body["settings"] = job_settings
    if error_mitigation is not None:
        body["error_mitigation"] = _error_mitigation_value(error_mitigation)
    if extra_query_params:
        body.update(extra_query_params)
    return body


_UNSET = object()


def _option(name: str, passed_args: Mapping[str, Any], options: Any, default: Any) -> Any:
    """A run option: the explicit run argument first, then the backend's option, then default."""
    if name in passed_args:
        return passed_args[name]
    value = getattr(options, name, _UNSET) if options is not None else _UNSET
    return default if value is _UNSET else value


def qiskit_to_ionq(
    circuit: Union[QuantumCircuit, Sequence[QuantumCircuit]],
    backend: Any,
    passed_args: Optional[Mapping[str, Any]] = None,
    extra_query_params: Optional[Mapping[str, Any]] = None,
    extra_metadata: Optional[Mapping[str, Any]] = None,
) -> str:
    """Serialize circuit(s) for ``backend`` into the POST /jobs body, as JSON text.

    Args:
        circuit: one circuit or a list (a list becomes one multi-circuit job).
        backend: an IonQ backend; its name gives the target, ``gateset()`` the gateset and
            ``options`` the defaults of the run options.
        passed_args: run options given to ``run`` (``shots``, ``sampler_seed``,
            ``noise_model``, ``job_settings``, ``error_mitigation``,
            ``ionq_compiler_synthesis``, ``extra_metadata``, ``name``); they override the
            backend's options.
        extra_query_params: merged into the top level of the body.
        extra_metadata: more metadata; overrides ``passed_args["extra_metadata"]``.

    Returns:
        The job body as JSON text.
    """
    args: Mapping[str, Any] = passed_args or {}
    options = getattr(backend, "options", None)
    backend_name = backend.name() if callable(backend.name) else backend.name
    gateset = backend.gateset() if callable(backend.gateset) else backend.gateset
    if extra_metadata is None:
        extra_metadata = _option("extra_metadata", args, options, None)
    body = build_job_body(
        circuit,
        target=target_from_backend_name(backend_name),
        gateset=gateset,
        shots=_option("shots", args, options, 1024),
        name=args.get("name"),
        noise_model=_option("noise_model", args, options, None),
        sampler_seed=_option("sampler_seed", args, options, None),
        job_settings=_option("job_settings", args, options, None),
        error_mitigation=_option("error_mitigation", args, options, None),
        extra_metadata=extra_metadata,
        extra_query_params=extra_query_params,
        ionq_compiler_synthesis=bool(_option("ionq_compiler_synthesis", args, options, False)),
    )
    try:
        return json.dumps(body)
    except (TypeError, ValueError) as err:
        raise IonQInvalidOptionError(
            f"The job body is not JSON-serializable ({err}); check job_settings and "
            "extra_query_params."
        ) from err
