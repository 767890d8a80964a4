"""Request-free HTTP helpers shared by the transport: who we are, where the token may go,
and how it is kept out of any text we produce.

No ``requests`` here (the transport stays the one module that imports it); these are pure
functions, tested directly, that the transport calls on every request and every error.
"""

from __future__ import annotations

import ipaddress
import platform
import re
from functools import lru_cache
from importlib import metadata
from typing import Mapping, Optional, Sequence, Tuple
from urllib.parse import urlsplit

from .version import __version__

__all__ = ["get_user_agent", "is_loopback_host", "is_loopback_url", "scrub", "secrets_of"]

_SECRET_HEADERS = ("authorization", "proxy-authorization")
_API_KEY_RE = re.compile(r"(apiKey\s+)[^\s'\",}]+", re.IGNORECASE)


def is_loopback_url(url: str) -> bool:
    """True when ``url``'s host is loopback: 127.0.0.0/8, ::1 or ``localhost``."""
    return is_loopback_host(urlsplit(url).hostname)


@lru_cache(maxsize=64)
def is_loopback_host(hostname: Optional[str]) -> bool:
    """True for 127.0.0.0/8, ::1 or ``localhost``; cached, as it is asked on every request."""
    host = (hostname or "").rstrip(".").lower()
    if host == "localhost" or host.endswith(".localhost"):
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


@lru_cache(maxsize=1)
def get_user_agent() -> str:
    """``qiskit-ionq/<ver> (qiskit/<ver>) os/<system> (python/<ver>)`` (fact sheet 1.3).

    Qiskit's version comes from the installed distribution metadata: importing ``qiskit``
    here just to read ``__version__`` is the compat layer's business, not the transport's.
    """
    qiskit_version = "unknown"
    for dist in ("qiskit", "qiskit-terra"):
        try:
            qiskit_version = metadata.version(dist)
            break
        except metadata.PackageNotFoundError:
            continue
    return (
        f"qiskit-ionq/{__version__} (qiskit/{qiskit_version}) "
        f"os/{platform.system() or 'unknown'} (python/{platform.python_version()})"
    )


def scrub(text: str, secrets: Sequence[str]) -> str:
    """Remove every secret (and anything shaped like ``apiKey <key>``) from ``text``."""
    for secret in secrets:
        if secret:
            text = text.replace(secret, "***")
    return _API_KEY_RE.sub(r"\1***", text)


def secrets_of(headers: Mapping[str, str]) -> Tuple[str, ...]:
    """The Authorization values in ``headers`` (and their key part), to scrub from text."""
    found = []
    for name, value in headers.items():
        if name.lower() in _SECRET_HEADERS and value:
            found.append(str(value))
            found.extend(part for part in str(value).split()[1:] if len(part) >= 4)
    return tuple(found)
