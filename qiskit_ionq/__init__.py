"""qiskit_ionq: the Qiskit provider for IonQ trapped-ion quantum computers."""

from .version import __version__

__all__ = ["__version__"]
