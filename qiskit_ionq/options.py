"""Checks of user-supplied options, run when the object is built, not at the first request.

A bad ``timeout`` or header found only when the first job is submitted costs the user a
circuit's compile time and a confusing traceback from deep in the HTTP stack; a bad
``allow_insecure_http="false"`` (a non-empty string, so truthy) silently turned the
protection it names OFF. Every check here raises a clear error saying what was wrong and
how to fix it. Pure functions: no I/O, no HTTP library.
"""

from __future__ import annotations

import math
import numbers
import re
from typing import Any, Dict, Iterable, Mapping, Optional, Tuple

from .exceptions import IonQClientError, IonQCredentialsError, IonQInvalidOptionError

__all__ = [
    "MAX_SAMPLER_SEED",
    "check_bool",
    "check_custom_headers",
    "check_retry_policy",
    "check_sampler_seed",
    "check_timeout",
    "check_token",
    "closest_option",
    "edit_distance",
]

#: Seeds go to numpy samplers; ``RandomState`` takes 0 .. 2**32 - 1.
MAX_SAMPLER_SEED = 2**32 - 1

# RFC 9110 token characters for header names; values: visible Latin-1 plus space and tab.
_HEADER_NAME_RE = re.compile(r"[!#$%&'*+\-.^_`|~0-9A-Za-z]+")
_HEADER_VALUE_RE = re.compile(r"[\t\x20-\x7e\x80-\xff]*")


def check_bool(name: str, value: Any) -> bool:
    """``value`` when it is a real ``bool``; the strings ``"false"``/``"0"`` are refused."""
    if not isinstance(value, bool):
        raise IonQClientError(
            f"{name} must be True or False, got {value!r} ({type(value).__name__}); a string "
            f"such as 'false' would count as true."
        )
    return value


def check_token(token: Any) -> Optional[str]:
    """A token that can go in an ``Authorization`` header; the message never contains it.

    Raises:
        IonQCredentialsError: not a ``str`` (bytes, numbers, lists...), or holding a
            character that cannot be sent in an HTTP header.
    """
    if token is None:
        return None
    if not isinstance(token, str):
        raise IonQCredentialsError(
            f"The IonQ API token must be a string, got a {type(token).__name__}. Pass the "
            "key as text, e.g. token=os.environ['IONQ_API_KEY']."
        )
    for position, char in enumerate(token):
        if not ("\x21" <= char <= "\x7e"):
            raise IonQCredentialsError(
                f"The IonQ API token has a character that cannot be sent in an HTTP header "
                f"(a space, control or non-ASCII character at position {position}). Copy the "
                "key again from the IonQ Cloud console."
            )
    return token


def check_custom_headers(headers: Any) -> Dict[str, str]:
    """``custom_headers`` as a ``{str: str}`` dict that can be sent as HTTP headers."""
    if headers is None:
        return {}
    if not isinstance(headers, Mapping):
        raise IonQClientError(
            f"custom_headers must be a dict of header name to value, got {type(headers).__name__}."
        )
    checked: Dict[str, str] = {}
    for name, value in headers.items():
        if not isinstance(name, str) or not _HEADER_NAME_RE.fullmatch(name):
            raise IonQClientError(
                f"custom_headers has an invalid header name {str(name)[:60]!r}: use letters, "
                "digits and '-' (e.g. 'X-Team')."
            )
        if isinstance(value, (bytes, bytearray)) or not isinstance(value, (str, int, float)):
            raise IonQClientError(
                f"custom_headers[{name!r}] must be text, got {type(value).__name__}."
            )
        text = str(value)
        if not _HEADER_VALUE_RE.fullmatch(text):
            raise IonQClientError(
                f"custom_headers[{name!r}] holds a line break, control or non-Latin-1 "
                "character, which cannot be sent in an HTTP header."
            )
        checked[name] = text
    return checked


def _seconds(name: str, value: Any) -> float:
    if isinstance(value, bool) or not isinstance(value, numbers.Real):
        raise IonQClientError(f"{name} must be a number of seconds, got {value!r}.")
    seconds = float(value)
    if not (math.isfinite(seconds) and seconds > 0):
        raise IonQClientError(
            f"{name} must be a positive, finite number of seconds, got {value!r}."
        )
    return seconds


def check_timeout(timeout: Any) -> Tuple[float, float]:
    """``timeout`` as ``(connect, read)`` seconds: one positive number, or a pair."""
    if isinstance(timeout, (tuple, list)):
        if len(timeout) != 2:
            raise IonQClientError(
                f"timeout must be seconds or a (connect, read) pair, got {timeout!r}."
            )
        return (_seconds("timeout (connect)", timeout[0]), _seconds("timeout (read)", timeout[1]))
    seconds = _seconds("timeout", timeout)
    return (seconds, seconds)


def check_retry_policy(policy: Any) -> Any:
    """``None`` or a :class:`~qiskit_ionq.retry.RetryPolicy` (or an object with its fields)."""
    if policy is None:
        return None
    needed = ("max_attempts", "total_timeout", "classify", "backoff_delay")
    if not all(hasattr(policy, attr) for attr in needed):
        raise IonQClientError(
            f"retry_policy must be a qiskit_ionq RetryPolicy, got {type(policy).__name__}; "
            "e.g. RetryPolicy(max_attempts=3, total_timeout=30)."
        )
    return policy


def check_sampler_seed(seed: Any) -> Optional[int]:
    """``None`` or an integer in ``0 .. MAX_SAMPLER_SEED``."""
    if seed is None:
        return None
    if isinstance(seed, bool) or not isinstance(seed, numbers.Integral):
        raise IonQInvalidOptionError(f"sampler_seed must be an integer or None, got {seed!r}.")
    if not 0 <= int(seed) <= MAX_SAMPLER_SEED:
        raise IonQInvalidOptionError(
            f"sampler_seed={seed} is out of range: use an integer from 0 to {MAX_SAMPLER_SEED}."
        )
    return int(seed)


def edit_distance(a: str, b: str) -> int:
    """Optimal-string-alignment distance (insert, delete, substitute, swap neighbours)."""
    previous2: list = []
    previous = list(range(len(b) + 1))
    for i, ca in enumerate(a, 1):
        current = [i] + [0] * len(b)
        for j, cb in enumerate(b, 1):
            current[j] = min(previous[j] + 1, current[j - 1] + 1, previous[j - 1] + (ca != cb))
            if i > 1 and j > 1 and ca == b[j - 2] and a[i - 2] == cb:
                current[j] = min(current[j], previous2[j - 2] + 1)
        previous2, previous = previous, current
    return previous[-1]


def closest_option(name: str, valid: Iterable[str]) -> Optional[str]:
    """The valid option ``name`` is most likely a typo of, or None when it looks deliberate.

    A typo is within a small edit distance (1 for names up to 4 characters, 2 beyond, case
    ignored: ``shot``, ``Shots``, ``smapler_seed``), or the leading word of an option
    (``noise`` for ``noise_model``). Anything further away is a different option, which
    pipelines that pass options for several providers rely on being only a warning.
    """
    lowered = name.lower()
    best: Optional[Tuple[int, str]] = None
    for option in sorted(valid):
        if lowered == option.split("_")[0] and len(lowered) >= 4:
            return option
        distance = edit_distance(lowered, option.lower())
        allowed = 1 if min(len(lowered), len(option)) <= 4 else 2
        if distance <= allowed and (best is None or distance < best[0]):
            best = (distance, option)
    return None if best is None else best[1]
