"""Secrets (SMTP password, webhook URL) from the environment or the OS keyring, never a file.

keyring is imported lazily: it is slow to import and most commands never need it.
No secret value ever appears in a message, an exception, a log line or a repr, nor in
the environment of a program loopcloser runs (``child_environment``).
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from typing import TYPE_CHECKING

from loopcloser.core.errors import BadInput
from loopcloser.core.words import _

if TYPE_CHECKING:
    from keyring.backend import KeyringBackend

SERVICE = "loopcloser"

# Secret name -> the environment variable that overrides the keyring (servers, CI).
NAMES = {
    "smtp_password": "LOOPCLOSER_SMTP_PASSWORD",
    "webhook_url": "LOOPCLOSER_WEBHOOK_URL",
    "hub_password": "LOOPCLOSER_HUB_PASSWORD",
}
# Every variable known to hold a secret: the ones above, and libpq's own password and
# password file, which the hub's users may set.
SECRET_VARIABLES = frozenset({*NAMES.values(), "PGPASSWORD", "PGPASSFILE"})
# A loopcloser variable with one of these words in its name is taken for a secret, so that
# one added later is kept from other programs before anyone remembers to list it.
PREFIX = "LOOPCLOSER_"
SECRET_WORDS = ("PASSWORD", "TOKEN", "SECRET")


def env_var(name: str) -> str:
    """Return the environment variable for a secret name, or raise BadInput."""
    try:
        return NAMES[name]
    except KeyError:
        raise BadInput(
            _("'{name}' is not a secret loopcloser knows").format(name=name),
            hint=_("use one of: {choices}").format(choices=", ".join(NAMES)),
        ) from None


def secret_variable(name: str) -> bool:
    """Whether the environment variable ``name`` may hold a secret no other program should get.

    keyring's own variables count: PYTHON_KEYRING_BACKEND says where the secrets are kept,
    and KEYRING_* is where keyring and its plug-ins take settings and, for some, the secret
    itself (KEYRING_CRYPTFILE_PASSWORD unlocks keyrings.cryptfile's file). The session bus
    address (DBUS_SESSION_BUS_ADDRESS) is not one: it is no secret, any program of the
    user can find the bus, and notify-send needs it.
    """
    upper = name.upper()  # Windows reads names in any case
    if upper in SECRET_VARIABLES or upper == "PYTHON_KEYRING_BACKEND":
        return True
    if upper.startswith("KEYRING_"):
        return True
    return upper.startswith(PREFIX) and any(word in upper[len(PREFIX) :] for word in SECRET_WORDS)


def child_environment(environ: Mapping[str, str] | None = None) -> dict[str, str]:
    """The environment for a program loopcloser runs: this one (or ``environ``) without secrets.

    The delivery command, notify-send, crontab and systemctl need PATH, HOME, the locale
    and the session, never the SMTP password or the webhook URL loopcloser was given.
    """
    given = os.environ if environ is None else environ
    return {name: value for name, value in given.items() if not secret_variable(name)}


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
        raise BadInput(
            _("the value for {name} is empty").format(name=name), hint=_("give a non-empty value")
        )
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
        _("no keyring is available on this machine to hold {name}").format(name=name),
        hint=_("set {variable} in the environment instead").format(variable=NAMES[name]),
    )


def keyring_failed(action: str, name: str, error: Exception) -> BadInput:
    """The error for a keyring that refused to "read" or "store"; names the error type only.

    One message for each ``action``, so that each reads whole in every language.
    """
    messages = {
        "read": _("the keyring could not read {name} ({error})"),
        "store": _("the keyring could not store {name} ({error})"),
    }
    return BadInput(
        messages[action].format(name=name, error=type(error).__name__),
        hint=_("unlock the keyring and retry, or set {variable} in the environment").format(
            variable=NAMES[name]
        ),
    )
