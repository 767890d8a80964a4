"""Where credentials come from besides arguments and the environment, and how a backend checks
the ones its provider holds.

Two behaviours that code written for earlier qiskit-ionq releases relies on:

* a ``.env`` file in the working directory (dotenv syntax, read with python-dotenv, the
  library the Python ecosystem uses for this) is consulted after explicit arguments and before
  the process environment (:func:`dotenv_credentials`);
* creating a backend's client checks ``provider.credentials`` and says precisely what is
  missing (:func:`check_provider_credentials`), with the same opening sentences as before.

No I/O besides reading ``./.env``; nothing is written to ``os.environ``.
"""

from __future__ import annotations

import os
from typing import Any, Dict, Mapping, Optional

from .constants import TOKEN_ENV_VARS, URL_ENV_VARS
from .exceptions import IonQCredentialsError

__all__ = ["check_provider_credentials", "dotenv_credentials", "NO_TOKEN_ADVICE"]

NO_TOKEN_ADVICE = (
    "Pass token=... or set one of the environment variables "
    + ", ".join(TOKEN_ENV_VARS)
    + " (or put it in a .env file in the working directory). To try qiskit_ionq without an "
    "account, run the local emulator: `from qiskit_ionq.emulator import IonQEmulator` "
    "(or `qiskit-ionq demo`)."
)
_NO_URL_ADVICE = (
    "Pass url=... or set " + " or ".join(URL_ENV_VARS) + ", or leave both unset for IonQ's cloud."
)


def dotenv_credentials() -> Dict[str, Optional[str]]:
    """The IonQ variables set in ``./.env`` (empty when there is no such file).

    Only our variable names are returned, and nothing is written to ``os.environ``: reading
    credentials must not change the process environment behind the user's back.
    """
    path = os.path.join(os.getcwd(), ".env")
    if not os.path.isfile(path):
        return {}
    from dotenv import dotenv_values  # imported only when there is a file to read

    values = dotenv_values(path)
    names = (*TOKEN_ENV_VARS, *URL_ENV_VARS)
    return {name: values.get(name) for name in names if name in values}


def _plain(value: Any) -> Any:
    """The value inside a redacting holder (an object with ``get()``), else ``value``."""
    if value is None or isinstance(value, (str, Mapping)):
        return value
    getter = getattr(value, "get", None)
    return getter() if callable(getter) else value


def check_provider_credentials(provider: Any) -> Mapping[str, Any]:
    """Check ``provider.credentials`` before a backend builds a client from them.

    Returns:
        The credentials mapping, unchanged.

    Raises:
        IonQCredentialsError: ``token`` or ``url`` is absent or ``None``, checked in that
            order; the message opens with the sentence earlier releases used, then says how
            to fix it.
    """
    credentials = getattr(provider, "credentials", None)
    if credentials is None:
        credentials = {}
    for key, advice in (("token", NO_TOKEN_ADVICE), ("url", _NO_URL_ADVICE)):
        if key not in credentials:
            raise IonQCredentialsError(f"Credentials `{key}` not present in provider. {advice}")
        if _plain(credentials[key]) is None:
            raise IonQCredentialsError(f"Credentials `{key}` may not be None! {advice}")
    return credentials
