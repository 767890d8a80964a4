"""Qiskit circuits -> IonQ API v0.3 job bodies (``ionq.circuit.v0``). Pure: no I/O.

Layers, from the inside out:

* :mod:`qiskit_ionq.circuit_json` walks one circuit once and writes its gate list as JSON
  text (gate tables in :mod:`qiskit_ionq.serializer_gates`); :func:`qiskit_circ_to_ionq_circ`
  is its dict form.
* :func:`build_header` and the metadata helpers write the compressed Qiskit header that the
  results layer reads back (layout in ``docs/design.md``).
* :func:`build_job_payload` assembles the POST /jobs body for one circuit or several and checks
  the vendor's metadata limits before anything is sent. It returns a :class:`JobPayload`: the
  body with its gate lists kept as JSON text, so a large circuit is never turned into dicts
  and back. :func:`build_job_body` is the same body as plain dicts; :func:`qiskit_to_ionq`
  builds it from a backend and run options and returns JSON text.
"""

from __future__ import annotations

import base64
import gzip
import json
from typing import Any, Dict, List, Mapping, Optional, Sequence, Tuple, Union

from qiskit.circuit import QuantumCircuit

from .circuit_json import GATESETS, encode_circuit, gc_paused, qiskit_circ_to_ionq_circ
from .constants import (
    METADATA_MAX_KEY_LENGTH,
    METADATA_MAX_KEYS,
    METADATA_MAX_VALUE_LENGTH,
    SUBMISSION_ID_KEY,
    ErrorMitigation,
)
from .exceptions import IonQCircuitError, IonQInvalidOptionError

__all__ = [
    "GATESETS",
    "qiskit_circ_to_ionq_circ",
    "build_header",
    "get_register_sizes_and_labels",
    "compress_dict_to_metadata_string",
    "decompress_metadata_string_to_dict",
    "target_from_backend_name",
    "RawJSON",
    "JobPayload",
    "build_job_payload",
    "build_job_body",
    "qiskit_to_ionq",
]

CIRCUIT_FORMAT = "ionq.circuit.v0"
# Keys the serializer writes itself; the client adds SUBMISSION_ID_KEY on top of them.
_RESERVED_METADATA_KEYS = frozenset({"shots", "sampler_seed", "qiskit_header", SUBMISSION_ID_KEY})
# Of the vendor's ten metadata keys, one is kept free for the client's submission id and
# three hold shots, sampler_seed and qiskit_header: the user gets the rest.
_MAX_OWN_METADATA_KEYS = METADATA_MAX_KEYS - 1
_MAX_EXTRA_METADATA_KEYS = _MAX_OWN_METADATA_KEYS - 3
_COMPACT = (",", ":")
# One encoder for the small pieces of a body: json.dumps(..., separators=...) builds a new
# JSONEncoder on every call, which was most of the cost of writing a small job's body.
_encode_compact = json.JSONEncoder(separators=_COMPACT).encode


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
    header = {
        "name": circuit.name,
        "global_phase": global_phase,
        "n_qubits": circuit.num_qubits,
        "qreg_sizes": qreg_sizes,
        "qubit_labels": _bit_labels(circuit.qubits, circuit.qregs),
        "memory_slots": circuit.num_clbits,
        "creg_sizes": creg_sizes,
        "clbit_labels": _bit_labels(circuit.clbits, circuit.cregs),
    }
    # Only a circuit with metadata carries the key, as in earlier releases' headers (and
    # the compressed header stays smaller against the vendor's metadata limit).
    metadata = _json_or_empty(circuit.metadata)
    if metadata:
        header["metadata"] = metadata
    return header


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


class RawJSON(str):
    """JSON text that :meth:`JobPayload.to_json` writes verbatim (a serialized gate list)."""

    __slots__ = ()


def _contains_raw(value: Any) -> bool:
    if isinstance(value, RawJSON):
        return True
    if isinstance(value, dict):
        return any(_contains_raw(v) for v in value.values())
    if isinstance(value, (list, tuple)):
        return any(_contains_raw(v) for v in value)
    return False


def _dumps(value: Any) -> str:
    """Compact ``json.dumps`` that writes :class:`RawJSON` values as they are.

    Only the containers on the way to a raw value are written here (a few dicts of the body);
    everything else, and every key, goes through ``json.dumps`` so the rules stay json's.
    """
    if isinstance(value, RawJSON):
        return str.__str__(value)
    if not _contains_raw(value):
        return _encode_compact(value)
    if isinstance(value, dict):
        # The encoding of {k: 0} is '{<key>:0}': the key exactly as json writes it.
        keys = (_encode_compact({k: 0})[1:-2] for k in value)
        return "{" + ",".join(k + _dumps(v) for k, v in zip(keys, value.values())) + "}"
    return "[" + ",".join(_dumps(v) for v in value) + "]"


class JobPayload:
    """A POST /jobs body whose gate lists are JSON text already.

    Attributes:
        body: the body as a dict; each ``circuit`` value in it is a :class:`RawJSON` (the
            gate list's text). Read it for anything but the gates (name, registers,
            metadata); use :meth:`to_dict` for a copy with the gates decoded.

    The client's submission layer sends it with :meth:`to_json` and one metadata key of its
    own (the submission id), without decoding and re-encoding the gates.
    """

    __slots__ = ("body",)

    def __init__(self, body: Dict[str, Any]) -> None:
        self.body = body

    def __repr__(self) -> str:
        return f"<JobPayload {self.body.get('name')!r} for {self.body.get('target')!r}>"

    @property
    def metadata(self) -> Mapping[str, Any]:
        """The body's ``metadata`` object."""
        return self.body.get("metadata") or {}

    def to_json(self, metadata: Optional[Mapping[str, Any]] = None) -> str:
        """The body as compact JSON text, with ``metadata`` in place of its own if given.

        Raises:
            TypeError, ValueError: a value (from job_settings, extra_query_params...) that
                JSON cannot hold, as ``json.dumps`` raises them.
        """
        body = self.body if metadata is None else {**self.body, "metadata": dict(metadata)}
        return _dumps(body)

    def serialize(self) -> str:
        """The body as JSON text (what ``IonQClient.submit_job`` accepts from any object)."""
        return self.to_json()

    def to_dict(self) -> Dict[str, Any]:
        """A plain copy of the body, gate lists decoded into dicts."""
        with gc_paused():
            decoded: Dict[str, Any] = json.loads(self.to_json())
        return decoded


def build_job_payload(
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
) -> JobPayload:
    """Build the POST /jobs body (ionq-api.md §3) for one circuit or a multi-circuit job.

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
        The body, gate lists as JSON text (see :class:`JobPayload`).

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

    encoded = [encode_circuit(c, gateset, ionq_compiler_synthesis) for c in circuit_list]
    headers = [build_header(c) for c in circuit_list]
    for circ, circ_header, enc in zip(circuit_list, headers, encoded):
        if circ.num_clbits:
            # The measurement map also travels in the header: API v0.4 stores no
            # `registers`, so a job retrieved by id reads it from here.
            circ_header["meas_mapped"] = enc.meas_map
    program: Dict[str, Any] = {
        "format": CIRCUIT_FORMAT,
        "gateset": gateset,
        "qubits": max(c.num_qubits for c in circuit_list),
    }
    body: Dict[str, Any] = {"target": target, "shots": int(shots)}
    if len(circuit_list) == 1:
        circuit = circuit_list[0]
        meas_map = encoded[0].meas_map
        body["name"] = circuit.name if name is None else name
        program["circuit"] = RawJSON(encoded[0].gates_json)
        body["input"] = program
        body["registers"] = {"meas_mapped": meas_map} if circuit.num_clbits else {}
        header = compress_dict_to_metadata_string(headers[0])
    else:
        body["name"] = f"{len(circuit_list)} circuits" if name is None else name
        program["circuits"] = [
            {
                "name": c.name,
                "circuit": RawJSON(e.gates_json),
                "registers": {"meas_mapped": e.meas_map},
            }
            for c, e in zip(circuit_list, encoded)
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
    return JobPayload(body)


def build_job_body(
    circuits: Union[QuantumCircuit, Sequence[QuantumCircuit]], **options: Any
) -> Dict[str, Any]:
    """The POST /jobs body as plain dicts: :func:`build_job_payload` (same arguments), decoded.

    For inspection and tools; submitting a :class:`JobPayload` skips the decode.
    """
    return build_job_payload(circuits, **options).to_dict()


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
    payload = build_job_payload(
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
        return payload.to_json()
    except (TypeError, ValueError) as err:
        raise IonQInvalidOptionError(
            f"The job body is not JSON-serializable ({err}); check job_settings and "
            "extra_query_params."
        ) from err
