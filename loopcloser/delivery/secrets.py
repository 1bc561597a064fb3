"""Secrets (SMTP password, webhook URL) from the environment or the OS keyring, never a file.

keyring is imported lazily: it is slow to import and most commands never need it.
No secret value ever appears in a message, an exception, a log line or a repr.
"""

from __future__ import annotations

import os
from typing import TYPE_CHECKING

from loopcloser.core.errors import BadInput

if TYPE_CHECKING:
    from keyring.backend import KeyringBackend

SERVICE = "loopcloser"

# Secret name -> the environment variable that overrides the keyring (servers, CI).
NAMES = {
    "smtp_password": "LOOPCLOSER_SMTP_PASSWORD",
    "webhook_url": "LOOPCLOSER_WEBHOOK_URL",
}


def env_var(name: str) -> str:
    """Return the environment variable for a secret name, or raise BadInput."""
    try:
        return NAMES[name]
    except KeyError:
        raise BadInput(
            f"'{name}' is not a secret loopcloser knows", hint=f"use one of: {', '.join(NAMES)}"
        ) from None


def in_environment(name: str) -> bool:
    """Whether the secret ``name`` is given by its environment variable."""
    return bool(os.environ.get(env_var(name)))


def get_secret(name: str) -> str | None:
    """Return the secret from its environment variable, else the keyring, else None."""
    variable = env_var(name)
    from_env = os.environ.get(variable)
    if from_env:
        return from_env
    import keyring.errors

    backend = usable_backend(name)
    try:
        return backend.get_password(SERVICE, name)
    except keyring.errors.NoKeyringError:
        raise no_keyring(name) from None
    except keyring.errors.KeyringError as error:
        raise keyring_failed("read", name, error) from None


def set_secret(name: str, value: str) -> None:
    """Store the secret in the OS keyring, or raise BadInput."""
    env_var(name)
    if not value:
        raise BadInput(f"the value for {name} is empty", hint="give a non-empty value")
    import keyring.errors

    backend = usable_backend(name)
    try:
        backend.set_password(SERVICE, name, value)
    except keyring.errors.NoKeyringError:
        raise no_keyring(name) from None
    except keyring.errors.KeyringError as error:
        raise keyring_failed("store", name, error) from None


def usable_backend(name: str) -> KeyringBackend:
    """Return the active keyring backend, or raise BadInput when it is the fail/null one."""
    import keyring
    import keyring.backends.fail
    import keyring.backends.null
    import keyring.errors

    try:
        backend = keyring.get_keyring()
    except keyring.errors.NoKeyringError:
        raise no_keyring(name) from None
    if isinstance(backend, keyring.backends.fail.Keyring | keyring.backends.null.Keyring):
        raise no_keyring(name)
    return backend


def no_keyring(name: str) -> BadInput:
    """The error for a machine with no keyring backend."""
    return BadInput(
        f"no keyring is available on this machine to hold {name}",
        hint=f"set {NAMES[name]} in the environment instead",
    )


def keyring_failed(action: str, name: str, error: Exception) -> BadInput:
    """The error for a keyring that refused; names the error type only, never its text."""
    return BadInput(
        f"the keyring could not {action} {name} ({type(error).__name__})",
        hint=f"unlock the keyring and retry, or set {NAMES[name]} in the environment",
    )
