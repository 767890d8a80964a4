"""Who may talk to the emulator: Host and Origin checks, API keys, job owners, the admin key.

The emulator binds a loopback address, but every web page the user opens can make the
browser send requests to ``127.0.0.1``. Two browser attacks matter for a local server:

* **DNS rebinding**: a page on ``evil.example`` re-points its own name to ``127.0.0.1`` and
  then reads answers as same-origin. Its requests carry ``Host: evil.example``, so by default
  only requests whose ``Host`` is a loopback name or address are served (plus names given
  with ``allowed_hosts`` / ``--allow-host``, and any name once the emulator was deliberately
  opened to the network with ``allow_remote``, where API keys protect it instead).
* **Cross-site requests (CSRF)**: a page can POST to ``/_emulator/reset`` without reading the
  answer. Browsers mark such requests with ``Origin`` (and ``Sec-Fetch-Site``); the admin
  routes refuse every request that carries either (the emulator serves no web pages, so no
  legitimate caller is a browser page). The API routes need an ``Authorization`` header,
  which a page cannot send cross-site without a CORS pre-flight the emulator never grants.

Keys: with ``api_keys`` configured each key is an *account* and sees only the jobs created
with it (a job of another key is a 404, as on IonQ's cloud). Admin routes then require the
admin key, or, when there is exactly one API key and no admin key, that key. Several API keys
without an admin key leave the admin routes closed (403). Keys are compared in constant time
and never stored: a job's owner is a short SHA-256 fingerprint of its key.
"""

from __future__ import annotations

import hashlib
import hmac
import ipaddress
from typing import Any, Collection, FrozenSet, Optional

__all__ = ["AccessDenied", "AccessPolicy", "host_name", "is_loopback_name"]


class AccessDenied(Exception):
    """A request is refused: ``status`` (401/403) and a message that never echoes a key."""

    def __init__(self, status: int, message: str) -> None:
        super().__init__(message)
        self.status, self.message = status, message


def host_name(value: str) -> str:
    """The host part of a ``Host`` header value, lower-cased, without port or brackets.

    ``"127.0.0.1:8000"`` -> ``"127.0.0.1"``, ``"[::1]:80"`` -> ``"::1"``, ``"::1"`` -> ``"::1"``.
    """
    text = value.strip().lower()
    if text.startswith("["):
        end = text.find("]")
        return text[1:end] if end > 0 else text
    if text.count(":") == 1:
        return text.partition(":")[0]
    return text


def is_loopback_name(name: str) -> bool:
    """True for ``localhost`` and literal loopback addresses (``127.0.0.0/8``, ``::1``).

    Other names ending in ``.localhost`` do not count: the emulator cannot know where a
    browser's resolver sends them.
    """
    if name == "localhost":
        return True
    try:
        return ipaddress.ip_address(name).is_loopback
    except ValueError:
        return False


def fingerprint(key: str) -> str:
    """A job owner's id: the first 16 hex digits of the key's SHA-256 (the key is not kept)."""
    return hashlib.sha256(key.encode("utf-8", "surrogatepass")).hexdigest()[:16]


class AccessPolicy:
    """The emulator's access rules (see the module docstring).

    Args:
        api_keys: accepted API keys, or ``None`` to accept any non-empty key (then every
            caller shares one job list).
        admin_key: the key of the ``/_emulator`` routes (``None``: see the module docstring).
        allowed_hosts: extra ``Host`` names to serve besides loopback ones.
        any_host: serve every ``Host`` (the emulator was opened to the network on purpose).
    """

    def __init__(
        self,
        api_keys: Optional[Collection[str]] = None,
        *,
        admin_key: Optional[str] = None,
        allowed_hosts: Collection[str] = (),
        any_host: bool = False,
    ) -> None:
        self.api_keys: Optional[FrozenSet[str]] = None if api_keys is None else frozenset(api_keys)
        self.admin_key = admin_key
        self.allowed_hosts = frozenset(host_name(h) for h in allowed_hosts)
        self.any_host = any_host
        self._encoded = [k.encode("utf-8", "surrogatepass") for k in self.api_keys or ()]

    @property
    def admin_needs_key(self) -> bool:
        """True when the admin routes require a key (keys or an admin key are configured)."""
        return self.api_keys is not None or self.admin_key is not None

    def check_host(self, headers: Any) -> None:
        """Refuse a request addressed to a name that is not ours (DNS rebinding).

        A request without ``Host`` (HTTP/1.0 tools) is served: browsers always send one.
        """
        value = headers.get("Host")
        if value is None or self.any_host:
            return
        name = host_name(value)
        if is_loopback_name(name) or name in self.allowed_hosts:
            return
        raise AccessDenied(
            403,
            f"Host {name[:100]!r} is not a loopback name; this emulator serves requests "
            "addressed to 127.0.0.1, ::1 or localhost (protection against DNS rebinding). "
            "Start it with --allow-host NAME (allowed_hosts=[...]) to accept that name.",
        )

    @staticmethod
    def check_not_browser(headers: Any) -> None:
        """Refuse a request sent by a web page (``Origin`` or a cross-site ``Sec-Fetch-Site``)."""
        site = (headers.get("Sec-Fetch-Site") or "none").strip().lower()
        if headers.get("Origin") is not None or site not in ("none", "same-origin"):
            raise AccessDenied(
                403,
                "Admin routes refuse requests from web pages (an Origin or cross-site "
                "Sec-Fetch-Site header was sent); call them from a script or the command line.",
            )

    @staticmethod
    def _key(headers: Any) -> str:
        value = (headers.get("Authorization") or "").strip()
        if not value:
            raise AccessDenied(
                401, "Missing Authorization header; send 'Authorization: apiKey <key>'."
            )
        scheme, _, key = value.partition(" ")
        key = key.strip()
        if scheme.lower() != "apikey" or not key:
            raise AccessDenied(401, "Malformed Authorization header; expected 'apiKey <key>'.")
        return key

    def owner(self, headers: Any) -> Optional[str]:
        """Authenticate an API request; return the caller's owner id (``None``: shared jobs).

        Raises:
            AccessDenied: 401 without a usable header, 403 for a key that is not accepted.
        """
        key = self._key(headers)
        if self.api_keys is None:
            return None
        encoded = key.encode("utf-8", "surrogatepass")
        # compare with every key (no early exit), in constant time per key
        accepted = [hmac.compare_digest(encoded, k) for k in self._encoded]
        if not any(accepted):
            raise AccessDenied(403, "The API key was not accepted.")  # never echo the key
        return fingerprint(key)

    def check_admin(self, headers: Any) -> None:
        """Authenticate an admin request (after :meth:`check_not_browser`).

        Raises:
            AccessDenied: 401/403 as for :meth:`owner`; 403 when the admin routes are closed.
        """
        if not self.admin_needs_key:
            return
        key = self._key(headers).encode("utf-8", "surrogatepass")
        if self.admin_key is not None:
            expected = self.admin_key.encode("utf-8", "surrogatepass")
        elif self.api_keys is not None and len(self._encoded) == 1:
            expected = self._encoded[0]
        else:
            raise AccessDenied(
                403,
                "Admin routes are closed: several API keys are configured and no admin key. "
                "Start the emulator with --admin-key KEY (admin_key=...) to use them.",
            )
        if not hmac.compare_digest(key, expected):
            raise AccessDenied(403, "The admin key was not accepted.")
