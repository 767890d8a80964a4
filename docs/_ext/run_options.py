"""``run-options-table``: the table of every run option, generated from the code.

The option names, defaults and which backend has them come from the backends'
``_default_options()`` (so a new option appears here on its own); the type and the
description come from :data:`DESCRIPTIONS` below, written for users. An option the code has
but :data:`DESCRIPTIONS` does not describe still gets a row (its name, default and type
from the default value), so the table never hides an option.
"""

from __future__ import annotations

from typing import Any, Dict, List, Tuple

# name -> (type, what it does). Plain text with ``literals``.
DESCRIPTIONS: Dict[str, Tuple[str, str]] = {
    "shots": (
        "int",
        "Number of repetitions of each circuit (1 to the backend's ``max_shots``). QPU counts "
        "always sum to exactly ``shots``.",
    ),
    "sampler_seed": (
        "int or None",
        "Ideal simulator only: seed of the client-side sampling that turns exact "
        "probabilities into counts, so counts repeat run after run. Without it the seed is "
        "derived from the job id (the same job gives the same counts on every retrieval).",
    ),
    "noise_model": (
        "str",
        "Simulator only: ``ideal`` (exact probabilities) or the noise model of a QPU "
        "(``aria-1``, ``aria-2``, ``forte-1``, ``forte-enterprise-1``, ``harmony``). A noise "
        "model limits the width to that QPU's qubits.",
    ),
    "error_mitigation": (
        "ErrorMitigation, dict or None",
        "QPU only: ``ErrorMitigation.DEBIASING`` / ``NO_DEBIASING`` (or "
        "``{'debias': bool}``). ``None`` leaves IonQ's default (debiasing on for ``qis`` jobs "
        "of at least 500 shots). Choose the aggregation with ``job.result(sharpen=...)``.",
    ),
    "memory": (
        "bool",
        "Also return one outcome per shot (``result.get_memory()``), in Qiskit's key format.",
    ),
    "job_settings": (
        "dict or None",
        "Sent as the job's ``settings`` object, unchanged (IonQ compiler/optimizer settings).",
    ),
    "extra_metadata": (
        "dict or None",
        "Extra entries for the job's ``metadata`` (values are sent as strings). IonQ limits "
        "metadata to 10 keys; we use 4.",
    ),
    "extra_query_params": (
        "dict or None",
        "Extra top-level fields merged into the job body as sent (for API fields this "
        "package does not model yet).",
    ),
    "ionq_compiler_synthesis": (
        "bool",
        "Let IonQ's compiler synthesize what we would refuse, e.g. a ``PauliEvolutionGate`` "
        "whose terms do not commute (sent as an approximate ``pauliexp``).",
    ),
    "dry_run": (
        "bool",
        "IonQ API v0.4: compile the job but do not run it; read ``job.compiled_circuit()`` "
        "and ``job.cost()``.",
    ),
    "session_id": (
        "str or None",
        "IonQ API v0.4: run the job in this session (set for you inside "
        "``with backend.session():``).",
    ),
    "debiasing": (
        "bool or None",
        "IonQ API v0.4: ask for (``True``) or refuse (``False``) debiasing; ``None`` keeps "
        "IonQ's default. Needs at least 500 shots.",
    ),
    "symmetry_verification": (
        "bool or None",
        "IonQ API v0.4: symmetry verification, where the backend lists it in its supported "
        "error mitigations.",
    ),
    "max_cost": (
        "float, Cost or None",
        "IonQ API v0.4: estimate the job first and refuse to submit it when the estimate is "
        "over this amount (``IonQCostLimitError``).",
    ),
}


def option_rows() -> List[Tuple[str, str, str, str, str]]:
    """(name, type, default, backends, description) for every run option of every backend."""
    from qiskit_ionq.ionq_backend import IonQQPUBackend, IonQSimulatorBackend

    sim = dict(IonQSimulatorBackend._default_options().items())
    qpu = dict(IonQQPUBackend._default_options().items())
    rows = []
    for name in list(qpu) + [n for n in sim if n not in qpu]:
        where = "all" if name in sim and name in qpu else ("simulator" if name in sim else "QPU")
        default: Any = sim.get(name, qpu.get(name))
        kind, text = DESCRIPTIONS.get(
            name, (type(default).__name__, "See the backend's ``run`` docstring.")
        )
        rows.append((name, kind, repr(default), where, text))
    return rows


def setup(app: Any) -> Dict[str, Any]:
    """Sphinx entry point (docutils is imported here, so the data above needs only Python)."""
    app.add_directive("run-options-table", _directive())
    return {"parallel_read_safe": True, "parallel_write_safe": True}


def _directive() -> Any:
    from docutils import nodes
    from docutils.parsers.rst import Directive

    def _para(text: str) -> nodes.paragraph:
        para = nodes.paragraph()
        parts = text.split("``")
        for i, part in enumerate(parts):
            if part:
                para += nodes.literal(part, part) if i % 2 else nodes.Text(part)
        return para

    class RunOptionsTable(Directive):
        """Renders :func:`option_rows` as a table."""

        has_content = False

        def run(self) -> List[nodes.Node]:
            headers = ("option", "type", "default", "backends", "what it does")
            table = nodes.table(classes=["run-options"])
            group = nodes.tgroup(cols=len(headers))
            table += group
            for width in (14, 12, 10, 8, 56):
                group += nodes.colspec(colwidth=width)
            head = nodes.thead()
            group += head
            row = nodes.row()
            for title in headers:
                row += nodes.entry("", nodes.paragraph(text=title))
            head += row
            body = nodes.tbody()
            group += body
            for name, kind, default, where, text in option_rows():
                row = nodes.row(ids=[f"option-{name.replace('_', '-')}"])
                row += nodes.entry("", nodes.paragraph("", "", nodes.literal(name, name)))
                row += nodes.entry("", nodes.paragraph(text=kind))
                row += nodes.entry("", nodes.paragraph("", "", nodes.literal(default, default)))
                row += nodes.entry("", nodes.paragraph(text=where))
                row += nodes.entry("", _para(text))
                body += row
            return [table]

    return RunOptionsTable
