"""Request-free HTTP pieces shared by the transport: who we are, where the token may go,
how it is kept out of any text we produce, and the :class:`Reply` a request ends in.

No ``requests`` here (the transport, with its ``_http_session``, stays the one place that
imports it); these are pure functions, tested directly, that the transport calls on every
request and every error.
"""

from __future__ import annotations

import contextlib
import contextvars
import ipaddress
import json
import platform
import re
from dataclasses import dataclass, field
from functools import lru_cache
from typing import Any, Dict, Iterator, Mapping, Optional, Sequence, Tuple
from urllib.parse import urlsplit

from ..exceptions import IonQClientError, IonQJobError, IonQRequestTimeoutError
from ..version import __version__
from .retry import Failure

__all__ = [
    "RequestBounds",
    "Reply",
    "current_bounds",
    "get_user_agent",
    "is_loopback_host",
    "is_loopback_url",
    "network_error",
    "request_bounds",
    "scrub",
    "secrets_of",
]

_SECRET_HEADERS = ("authorization", "proxy-authorization")
_API_KEY_RE = re.compile(r"(apiKey\s+)[^\s'\",}]+", re.IGNORECASE)


@dataclass(frozen=True)
class RequestBounds:
    """Limits a caller puts on every request made inside a :func:`request_bounds` block.

    Attributes:
        deadline: absolute ``time.monotonic()`` time after which no request may still run
            (no attempt starts, no socket wait crosses it, no body read continues).
        max_bytes: largest response body accepted (after content decoding).
    """

    deadline: Optional[float] = None
    max_bytes: Optional[int] = None


_NO_BOUNDS = RequestBounds()
_BOUNDS: contextvars.ContextVar[Optional[RequestBounds]] = contextvars.ContextVar(
    "qiskit_ionq_request_bounds", default=None
)


def current_bounds() -> RequestBounds:
    """The bounds of the innermost :func:`request_bounds` block of this thread (or none)."""
    return _BOUNDS.get() or _NO_BOUNDS


@contextlib.contextmanager
def request_bounds(
    deadline: Optional[float] = None, max_bytes: Optional[int] = None
) -> Iterator[RequestBounds]:
    """Bound every request made in the block (by this thread): ``job.result(timeout=5)``.

    Why a context and not an argument: a user's wait (``result(timeout=...)``) goes through
    the job, the client facade, an API adapter and the transport; threading a deadline
    through every signature of every adapter would be easy to miss in one place, and one
    missed place is a call that hangs. Nested blocks only ever tighten the bounds.
    """
    outer = current_bounds()
    if outer.deadline is not None:
        deadline = outer.deadline if deadline is None else min(deadline, outer.deadline)
    if outer.max_bytes is not None:
        max_bytes = outer.max_bytes if max_bytes is None else min(max_bytes, outer.max_bytes)
    bounds = RequestBounds(deadline, max_bytes)
    token = _BOUNDS.set(bounds)
    try:
        yield bounds
    finally:
        _BOUNDS.reset(token)


def is_loopback_url(url: str) -> bool:
    """True when ``url``'s host is a literal loopback address: 127.0.0.0/8 or ::1."""
    return is_loopback_host(urlsplit(url).hostname)


@lru_cache(maxsize=64)
def is_loopback_host(hostname: Optional[str]) -> bool:
    """True for the literal loopback addresses 127.0.0.0/8 and ::1 (cached: asked on every
    request).

    Names do not count, ``localhost`` included: a name is whatever the resolver (a hosts
    file, a VPN's DNS) says it is, and ``*.localhost`` names routinely resolve elsewhere.
    The token may go over plain http only to this machine, so only an address proves it.
    """
    host = (hostname or "").rstrip(".").lower()
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


@lru_cache(maxsize=1)
def get_user_agent() -> str:
    """``qiskit-ionq/<ver> (qiskit/<ver>) os/<system> (python/<ver>)`` (ionq-api.md §1.3).

    Below Qiskit 1.0 the middle part is ``(qiskit-terra/<ver>)``, as earlier releases sent
    it. Which one applies is the compat layer's business, not the transport's.
    """
    from .._qiskit_compat import user_agent_product  # imports Qiskit; only when first asked

    return (
        f"qiskit-ionq/{__version__} ({user_agent_product()}) "
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


@dataclass(frozen=True)
class Reply:
    """A finished HTTP exchange, detached from ``requests`` (callers never import it).

    Has the ``status_code``/``headers``/``text``/``reason`` that
    :meth:`IonQAPIError.from_response` reads.
    """

    status_code: int
    headers: Mapping[str, str]
    content: bytes = field(repr=False)
    reason: str = ""
    method: str = "GET"
    path: str = ""
    attempts: int = 1

    @property
    def text(self) -> str:
        """The body as text (JSON is UTF-8, RFC 8259: never guess the encoding)."""
        return self.content.decode("utf-8", "replace")

    def json(self, unique_keys: bool = False) -> Any:
        """Parse the body as JSON, keeping key order (multi-circuit results rely on it).

        Args:
            unique_keys: refuse an object that repeats a key (``json.loads`` would silently
                keep the last value: for results, one outcome's probability lost).

        Raises:
            IonQClientError: the body is not valid JSON (e.g. truncated by a proxy), or
                nests too deeply to parse.
            IonQJobError: ``unique_keys`` and a key is repeated.
        """
        try:
            if unique_keys:
                return json.loads(self.content, object_pairs_hook=_unique_object)
            return json.loads(self.content)
        except _DuplicateKey as dup:
            where = f"{self.method} {self.path}"
            raise IonQJobError(
                f"The server sent malformed results for {where}: the key {dup.key!r} appears "
                "twice in one object, so one of its values would be silently lost."
            ) from None
        except (ValueError, RecursionError):
            snippet = " ".join(self.text.split())[:100]
            where = f"{self.method} {self.path} (HTTP {self.status_code})"
            raise IonQClientError(
                f"The server sent invalid JSON for {where}: {snippet!r}"
            ) from None


class _DuplicateKey(Exception):
    def __init__(self, key: str) -> None:
        super().__init__(key)
        self.key = key


def _unique_object(pairs: Any) -> Dict[str, Any]:
    result = dict(pairs)
    if len(result) != len(pairs):
        seen: set = set()
        for key, _ in pairs:
            if key in seen:
                raise _DuplicateKey(key)
            seen.add(key)
    return result


def network_error(
    method: str,
    path: str,
    url: str,
    failure: Failure,
    is_timeout: bool,
    detail: str,
    timeout: Tuple[float, float],
) -> IonQClientError:
    """The error for a request that got no response, saying what to check."""
    host = urlsplit(url).hostname
    if is_timeout:
        which = "connect" if failure is Failure.NOT_SENT else "read"
        limit = timeout[0] if which == "connect" else timeout[1]
        return IonQRequestTimeoutError(
            f"{method} {path} to {host} timed out: the {which} timeout of {limit:g}s expired "
            f"({detail})."
        )
    if failure is Failure.NOT_SENT:
        advice = "Check the network, the proxy settings (HTTPS_PROXY) and the API URL."
        return IonQClientError(
            f"Could not connect to {host} for {method} {path}: {detail}. {advice}"
        )
    if failure is Failure.FATAL:
        advice = (
            "If a proxy re-signs TLS traffic, point REQUESTS_CA_BUNDLE at its certificate."
            if "SSL" in detail
            else "Check the API URL and the custom headers."
        )
        return IonQClientError(f"{method} {path} to {host} failed: {detail}. {advice}")
    return IonQClientError(f"The connection to {host} broke during {method} {path}: {detail}.")
