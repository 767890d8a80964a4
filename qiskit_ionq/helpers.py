"""Seed-era helper names, re-exported from the modules that own them (no logic here).

Tools written against qiskit-ionq 0.4/0.5 import these paths directly.
"""

from .api.transport import get_user_agent
from .constants import get_n_qubits
from .ionq_backend import GATESET_MAP
from .qasm3_input import circuit_requires_qasm3
from .retry_decorator import retry
from .serializer import (
    compress_dict_to_metadata_string,
    decompress_metadata_string_to_dict,
    get_register_sizes_and_labels,
    qiskit_circ_to_ionq_circ,
    qiskit_to_ionq,
)

# 0.5-era names for the same functions.
compress_to_metadata_string = compress_dict_to_metadata_string
decompress_metadata_string = decompress_metadata_string_to_dict

__all__ = [
    "GATESET_MAP",
    "circuit_requires_qasm3",
    "compress_dict_to_metadata_string",
    "compress_to_metadata_string",
    "decompress_metadata_string",
    "decompress_metadata_string_to_dict",
    "get_n_qubits",
    "get_register_sizes_and_labels",
    "get_user_agent",
    "qiskit_circ_to_ionq_circ",
    "qiskit_to_ionq",
    "retry",
]
