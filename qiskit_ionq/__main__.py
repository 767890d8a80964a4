"""``python -m qiskit_ionq`` is the ``qiskit-ionq`` command."""

import sys

from .cli import main

sys.exit(main())
