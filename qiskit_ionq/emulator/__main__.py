"""``python -m qiskit_ionq.emulator``: serve the emulator (options of ``qiskit-ionq emulator``)."""

import sys

from .cli import main

if __name__ == "__main__":
    sys.exit(main())
