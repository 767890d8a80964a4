"""Error-mitigation options the IonQ API v0.4 way, checked before submit. Pure.

On API v0.4 (https://docs.ionq.com/guides/debiasing-and-sharpening) error mitigation is part
of the job's ``settings``: ``settings.error_mitigation = {"debiasing": bool,
"symmetry_verification": bool}``. A debiased job's variants can be aggregated in several ways
when its results are read; IonQ lists ``average``, ``voting``, ``dnl`` and ``majority``
aggregation artifacts. ``sharpen=True`` (the v0.3 switch) stays an alias of plurality voting.

This module turns the run options into that object (:func:`error_mitigation_settings`),
checks them against what a backend lists in ``supported_error_mitigations``, and resolves the
aggregation of a ``result()`` call (:func:`resolve_aggregation`). The v0.3 form
``error_mitigation={"debias": ...}`` (or ``ErrorMitigation``) is accepted and translated.

Choices: a mitigation name is compared after lower-casing and turning ``-`` into ``_`` (the
catalogue's spelling is not documented); a backend that lists nothing (offline catalogue,
simulators) is not checked; debiasing needs at least 500 shots (IonQ turns it off below
that, silently: we say so before anything is sent).
"""

from __future__ import annotations

from typing import Any, Dict, Iterable, Optional

from .constants import AggregationType, ErrorMitigation
from .exceptions import IonQInvalidOptionError

__all__ = [
    "AGGREGATIONS",
    "DEBIAS_MIN_SHOTS",
    "error_mitigation_settings",
    "resolve_aggregation",
]

AGGREGATIONS = ("average", "voting", "dnl", "majority")
DEBIAS_MIN_SHOTS = 500
_NAMES = {"debiasing": "debiasing", "symmetry_verification": "symmetry_verification"}


def _normalize(name: str) -> str:
    return str(name).strip().lower().replace("-", "_").replace(" ", "_")


def _flag(name: str, value: Any) -> Optional[bool]:
    if value is None or isinstance(value, bool):
        return value
    raise IonQInvalidOptionError(f"{name} must be True, False or None, not {value!r}.")


def _legacy_debias(error_mitigation: Any) -> Optional[bool]:
    if error_mitigation is None:
        return None
    value = error_mitigation.value if isinstance(error_mitigation, ErrorMitigation) else None
    if value is None and isinstance(error_mitigation, dict):
        value = error_mitigation
    if not isinstance(value, dict) or not set(value) <= {"debias", "debiasing"}:
        raise IonQInvalidOptionError(
            "error_mitigation must be ErrorMitigation.DEBIASING, ErrorMitigation.NO_DEBIASING "
            f"or {{'debias': bool}}, got {error_mitigation!r}; on API v0.4 prefer "
            "debiasing=True/False."
        )
    flag = value.get("debiasing", value.get("debias"))
    return _flag("error_mitigation['debias']", flag)


def error_mitigation_settings(
    *,
    debiasing: Any = None,
    symmetry_verification: Any = None,
    error_mitigation: Any = None,
    shots: Optional[int] = None,
    supported: Optional[Iterable[str]] = None,
    backend_name: str = "this backend",
) -> Optional[Dict[str, bool]]:
    """The ``settings.error_mitigation`` object of a v0.4 job, or ``None`` for the default.

    Args:
        debiasing: ``True``/``False`` to ask for or refuse debiasing, ``None`` for IonQ's
            default (on for QPU jobs of 500 shots or more).
        symmetry_verification: ``True``/``False``/``None`` likewise.
        error_mitigation: the v0.3 form (``ErrorMitigation`` or ``{"debias": bool}``); it
            may not contradict ``debiasing``.
        shots: the job's shots (debiasing needs at least 500).
        supported: the backend's ``supported_error_mitigations``, or ``None`` (not known).
        backend_name: for messages.

    Raises:
        IonQInvalidOptionError: a malformed value, a contradiction, too few shots for
            debiasing, or a mitigation the backend does not list.
    """
    debias = _flag("debiasing", debiasing)
    legacy = _legacy_debias(error_mitigation)
    if debias is not None and legacy is not None and debias != legacy:
        raise IonQInvalidOptionError(
            f"debiasing={debias} contradicts error_mitigation={error_mitigation!r}; pass only "
            "debiasing=."
        )
    debias = legacy if debias is None else debias
    symmetry = _flag("symmetry_verification", symmetry_verification)
    wanted = {"debiasing": debias, "symmetry_verification": symmetry}
    if debias and shots is not None and int(shots) < DEBIAS_MIN_SHOTS:
        raise IonQInvalidOptionError(
            f"Debiasing needs at least {DEBIAS_MIN_SHOTS} shots (IonQ turns it off below "
            f"that); this run has {shots}. Use shots>={DEBIAS_MIN_SHOTS} or debiasing=False."
        )
    if supported is not None:
        listed = {_normalize(n) for n in supported}
        for name, value in wanted.items():
            if value and _NAMES[name] not in listed:
                raise IonQInvalidOptionError(
                    f"{backend_name} does not support {name} (its supported error "
                    f"mitigations: {', '.join(sorted(listed)) or 'none'}); remove "
                    f"{name}=True or choose another backend."
                )
    settings = {name: value for name, value in wanted.items() if value is not None}
    return settings or None


def resolve_aggregation(aggregation: Any = None, sharpen: Any = None) -> Optional[str]:
    """The aggregation of a debiased job's results to ask for, or ``None`` for IonQ's default.

    Args:
        aggregation: one of :data:`AGGREGATIONS` (or an :class:`AggregationType`).
        sharpen: ``True`` = plurality voting (``"voting"``), ``False`` = ``"average"``.

    Raises:
        IonQInvalidOptionError: an unknown aggregation, or one that contradicts ``sharpen``.
    """
    if isinstance(sharpen, AggregationType):
        sharpen = sharpen is AggregationType.PLURALITY
    from_sharpen = None if sharpen is None else ("voting" if sharpen else "average")
    if isinstance(aggregation, AggregationType):
        aggregation = "voting" if aggregation is AggregationType.PLURALITY else "average"
    if aggregation is None:
        return from_sharpen
    name = _normalize(aggregation)
    if name == "plurality":
        name = "voting"
    if name not in AGGREGATIONS:
        raise IonQInvalidOptionError(
            f"Unknown aggregation {aggregation!r}; choose one of {', '.join(AGGREGATIONS)}."
        )
    if from_sharpen is not None and from_sharpen != name:
        raise IonQInvalidOptionError(
            f"aggregation={aggregation!r} contradicts sharpen={sharpen}; pass only aggregation=."
        )
    return name
