"""IonQResult: a ``qiskit.result.Result`` that also knows each circuit's probabilities.

The result is a genuine Qiskit ``Result``, laid out as earlier qiskit-ionq releases laid it
out for the installed Qiskit line: each experiment's ``data.counts`` holds hex keys
(``"0x3"``) below Qiskit 2 and binary strings as wide as the classical bits from Qiskit 2 on
(both formats ``Result.get_counts`` reads), ``data.probabilities`` holds the probabilities
keyed like ``get_counts``, ``data.metadata`` the experiment header, and ``data.memory`` exists
only when the run asked for ``memory=True``. The header carries ``memory_slots``/``creg_sizes``.
So ``Result.get_counts``, ``marginal_counts(result, ...)``, ``data()``,
``to_dict``/``from_dict`` and pickling behave as for any backend.

Two things are done differently from a plain ``Result``, both for a 20-qubit job whose
histogram has up to a million outcomes:

* ``get_counts`` is overridden. Qiskit's version turns every hex key back into an int
  (``Counts.__init__``), then into a padded binary string and splits it by register
  (``format_counts``), all in per-key Python: over 3 s at 2**20 keys on a 2-core machine,
  longer than fetching the job. Our keys were already built, vectorized, in exactly Qiskit's
  format (:mod:`qiskit_ionq.results`), so the override returns a real
  :class:`~qiskit.result.Counts` filled from them. It falls back to Qiskit's own path as
  soon as the stored data is no longer what we built (e.g. ``marginal_counts(...,
  inplace=True)`` replaced ``data.counts``), so it never returns stale counts.
* ``data.counts``, ``data.memory`` and ``data.probabilities`` are built on first read. Each
  can hold a million entries and cost a few tenths of a second; ``get_counts`` needs none.
  ``memory`` (hex outcome per shot, what ``memory=True`` gives on Qiskit backends) is what
  ``BackendSamplerV2`` reads; the API has no shot sequence, so it is the counted outcomes
  in a seeded random order.
"""

from __future__ import annotations

from typing import Any, Dict, List, Optional, Sequence, Union

from qiskit.result import Counts, Result
from qiskit.result.models import ExperimentResult, ExperimentResultData

from ._qiskit_compat import EARLIER_RELEASE
from .exceptions import IonQJobError
from .results import ExperimentData

__all__ = ["IonQResult"]


def _header_dict(header: Any) -> Dict[str, Any]:
    """The header as a dict: a dict on Qiskit 2, a ``QobjExperimentHeader`` before."""
    if header is None:
        return {}
    if isinstance(header, dict):
        return header
    return dict(header.to_dict())


class _LazyResultData(ExperimentResultData):
    """``ExperimentResultData`` whose fields are built from an ExperimentData on first read.

    To every reader (``Result.data()``, ``to_dict``, ``get_counts``' fallback, pickling) it is
    an ordinary ``ExperimentResultData`` with ``counts`` (hex keys), ``memory`` (hex per shot)
    and ``probabilities``. Assigning a field (as ``marginal_counts`` does) replaces it like a
    plain attribute.
    """

    def __init__(self, experiment: Optional[ExperimentData] = None, **fields: Any) -> None:
        super().__init__(**fields)
        self._experiment = experiment
        if experiment is not None:
            names = ["counts", "probabilities", "metadata"]
            if experiment.memory_requested:
                names.insert(1, "memory")
            for name in names:
                if name not in self._data_attributes:
                    self._data_attributes.append(name)

    def _get(self, name: str) -> Any:
        if ("_set_" + name) in self.__dict__:
            return self.__dict__["_set_" + name]
        experiment = self._experiment
        if experiment is None or (name == "memory" and not experiment.memory_requested):
            raise AttributeError(name)
        if name == "counts":
            return (
                experiment.hex_counts if EARLIER_RELEASE.hex_count_keys else experiment.bin_counts
            )
        if name == "metadata":
            return experiment.header
        return getattr(experiment, name)

    def _set(self, name: str, value: Any) -> None:
        self.__dict__["_set_" + name] = value

    counts = property(lambda self: self._get("counts"), lambda self, v: self._set("counts", v))
    memory = property(lambda self: self._get("memory"), lambda self, v: self._set("memory", v))
    probabilities = property(
        lambda self: self._get("probabilities"), lambda self, v: self._set("probabilities", v)
    )
    metadata = property(
        lambda self: self._get("metadata"), lambda self, v: self._set("metadata", v)
    )

    def pristine(self) -> Optional[ExperimentData]:
        """Our ExperimentData, unless ``counts`` was replaced since we built it."""
        return None if "_set_counts" in self.__dict__ else self._experiment


def _copy_json(value: Any) -> Any:
    """A deep copy of JSON-shaped data (dicts, lists, scalars); ~4x cheaper than deepcopy."""
    if isinstance(value, dict):
        return {key: _copy_json(item) for key, item in value.items()}
    if isinstance(value, list):
        return [_copy_json(item) for item in value]
    return value


class IonQResult(Result):
    """A Qiskit ``Result`` for IonQ jobs, with :meth:`get_probabilities`."""

    @classmethod
    def from_experiments(
        cls,
        *,
        backend_name: str,
        backend_version: str,
        job_id: str,
        experiments: Sequence[ExperimentData],
        time_taken: Optional[float],
        success: bool = True,
        date: Any = None,
        qobj_id: Optional[str] = None,
    ) -> IonQResult:
        """Build the result of a job from its circuits' :class:`ExperimentData`.

        Args:
            backend_name: e.g. ``"ionq_simulator"``.
            backend_version: the backend's version string.
            job_id: the IonQ job id.
            experiments: one entry per circuit, in submission order.
            time_taken: the vendor's execution time in seconds (``None`` if unknown).
            success: whether the job succeeded.
            date: optional completion date.
            qobj_id: the ``qobj_id`` the job's metadata carried (``None`` when absent).

        Returns:
            The result; ``result.time_taken`` is ``time_taken``.
        """
        results = []
        for data in experiments:
            # ExperimentResult.from_dict is the one constructor that takes a plain dict header
            # on every Qiskit line: it wraps it in a QobjExperimentHeader on 0.46/1.x (silencing
            # 1.x's deprecation warning itself) and keeps the dict on 2.x.
            experiment = ExperimentResult.from_dict(
                {
                    "shots": data.shots,
                    "success": success,
                    "meas_level": 2,
                    "data": {},
                    # Copied: marginal_counts(..., inplace=True) edits headers in place.
                    "header": _copy_json(data.header),
                }
            )
            experiment.data = _LazyResultData(data)
            results.append(experiment)
        # qobj_id is required before Qiskit 2; Qiskit 2 documents that passing it as a keyword
        # still works (it lands in the result's metadata), so one call fits every line.
        # status, date and header stay None, as earlier releases left them (a failed result
        # says "ERROR": Qiskit's error for reading it cannot format a None status).
        return cls(
            backend_name=backend_name,
            backend_version=backend_version,
            qobj_id=qobj_id,
            job_id=job_id,
            success=success,
            results=results,
            date=date,
            status=None if success else "ERROR",
            header=None,
            time_taken=time_taken,
        )

    # -- lookups ---------------------------------------------------------------------------
    def _experiment_keys(self, experiment: Any) -> Sequence[Any]:
        # Result.get_counts semantics: None means every experiment (one dict if only one).
        return range(len(self.results)) if experiment is None else [experiment]

    @staticmethod
    def _single_or_list(items: List[Any]) -> Any:
        return items[0] if len(items) == 1 else items

    @staticmethod
    def _built_data(experiment: Any) -> Optional[ExperimentData]:
        """Our ExperimentData for ``experiment``, if its stored data is still what we built."""
        stored = getattr(experiment, "data", None)
        data = stored.pristine() if isinstance(stored, _LazyResultData) else None
        if data is None:
            return None
        header = _header_dict(getattr(experiment, "header", None))
        for field in ("memory_slots", "creg_sizes"):
            if header.get(field) != data.header.get(field):
                return None
        return data

    # -- public API ------------------------------------------------------------------------
    def get_counts(self, experiment: Any = None) -> Union[Counts, List[Counts]]:
        """Counts of an experiment, exactly as ``Result.get_counts`` returns them.

        Args:
            experiment: index, name, circuit (by name) or ``None`` (the only experiment, or
                a list of all of them).

        Returns:
            A :class:`~qiskit.result.Counts` (or a list of them) with the same keys, values,
            ``creg_sizes``, ``memory_slots`` and ``time_taken`` Qiskit would produce, built
            from our pre-formatted keys instead of re-parsing every key (see module doc).
        """
        out: List[Any] = []
        for key in self._experiment_keys(experiment):
            exp = self._get_experiment(key)
            data = self._built_data(exp)
            if data is None:
                index = next(i for i, e in enumerate(self.results) if e is exp)
                out.append(super().get_counts(index))
            else:
                out.append(self._fast_counts(data, _header_dict(exp.header)))
        return self._single_or_list(out)

    @staticmethod
    def _fast_counts(data: ExperimentData, header: Dict[str, Any]) -> Counts:
        """A real ``Counts`` with the attributes ``Counts.__init__`` would set, built cheaply."""
        counts = Counts.__new__(Counts)
        dict.update(counts, data.counts)
        # Result.get_counts passes only these header fields, and only when present.
        counts.creg_sizes = header.get("creg_sizes")
        counts.memory_slots = header.get("memory_slots")
        counts.time_taken = header.get("time_taken")
        if data.keys_show_every_clbit:
            # Counts built from bit strings keep int_raw/hex_raw at None and derive
            # int_outcomes()/hex_outcomes() from the keys on demand; with every clbit shown
            # that derivation gives exactly our values, so skip two million-entry dicts.
            counts.int_raw = None
            counts.hex_raw = None
        else:
            # Some clbits are not shown in the keys: the integers must come from the data.
            counts.int_raw = dict(data.int_counts)
            counts.hex_raw = dict(data.hex_counts)
        return counts

    def get_probabilities(self, experiment: Any = None) -> Union[Counts, List[Counts]]:
        """Probabilities of an experiment, as a Qiskit ``Counts`` keyed like :meth:`get_counts`.

        The API's probabilities after mapping qubits to classical bits, summed where outcomes
        merge, and not renormalized; every outcome the server reported is included (also
        those a sampled ``get_counts`` never drew).

        Args:
            experiment: index, name, circuit (by name) or ``None`` (the only experiment, or
                a list of all of them), as for :meth:`get_counts`.

        Returns:
            A new :class:`~qiskit.result.Counts` of probabilities (built with the register
            sizes, so its keys are those of ``get_counts``), or a list of them.

        Raises:
            IonQJobError: an experiment without probabilities.
            QiskitError: unknown experiment.
        """
        out: List[Counts] = []
        for key in self._experiment_keys(experiment):
            exp = self._get_experiment(key)
            stored = getattr(exp.data, "probabilities", None)
            if stored is None:
                raise IonQJobError(f'No probabilities for experiment "{key}"')
            counts = _probability_counts(dict(stored), _header_dict(exp.header))
            data = self._built_data(exp)
            if data is not None and not data.keys_show_every_clbit:
                # Keys drop some clbits: the integer outcomes must come from the data.
                pairs = list(zip(data.values.tolist(), data.raw_probabilities.tolist()))
                counts.int_raw = dict(pairs)
                counts.hex_raw = {hex(value): p for value, p in pairs}
            out.append(counts)
        return self._single_or_list(out)


def _probability_counts(probabilities: Dict[str, float], header: Dict[str, Any]) -> Counts:
    """A ``Counts`` holding probabilities under already formatted keys.

    ``Counts(...)`` with ``creg_sizes`` would parse every key back into an integer and
    reformat it; the keys are already in that exact format, so only the attributes are set
    (``int_outcomes()`` then derives the integers from the keys, as Qiskit does).
    """
    counts = Counts.__new__(Counts)
    dict.update(counts, probabilities)
    counts.creg_sizes = header.get("creg_sizes")
    counts.memory_slots = header.get("memory_slots")
    counts.time_taken = header.get("time_taken")
    counts.int_raw = None
    counts.hex_raw = None
    return counts
