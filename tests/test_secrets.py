"""Secrets come from the environment first, then the OS keyring, and never leak into errors."""

from __future__ import annotations

from collections.abc import Iterator

import keyring
import keyring.backends.fail
import keyring.backends.null
import keyring.errors
import pytest
from keyring.backend import KeyringBackend

from loopcloser.core.errors import BadInput
from loopcloser.delivery.secrets import NAMES, get_secret, set_secret

SECRET = "hunter2-s3cr3t-value"


class MemoryKeyring(KeyringBackend):
    """A keyring held in a dict, for tests."""

    priority = 1

    def __init__(self) -> None:
        super().__init__()
        self.items: dict[tuple[str, str], str] = {}

    def get_password(self, service: str, username: str) -> str | None:
        return self.items.get((service, username))

    def set_password(self, service: str, username: str, password: str) -> None:
        self.items[(service, username)] = password

    def delete_password(self, service: str, username: str) -> None:
        self.items.pop((service, username), None)


class LockedKeyring(MemoryKeyring):
    """A keyring that refuses every operation, as a locked one does."""

    def get_password(self, service: str, username: str) -> str | None:
        raise keyring.errors.KeyringLocked(f"locked while reading {SECRET}")

    def set_password(self, service: str, username: str, password: str) -> None:
        raise keyring.errors.PasswordSetError(f"cannot set {password}")


@pytest.fixture(autouse=True)
def no_env(monkeypatch: pytest.MonkeyPatch) -> None:
    """No secret comes from the environment unless a test sets it."""
    for variable in NAMES.values():
        monkeypatch.delenv(variable, raising=False)


@pytest.fixture
def use_keyring() -> Iterator[None]:
    """Restore the real keyring backend after a test replaces it."""
    previous = keyring.get_keyring()
    yield
    keyring.set_keyring(previous)


@pytest.fixture
def memory(use_keyring: None) -> MemoryKeyring:
    """An in-memory keyring as the active backend."""
    backend = MemoryKeyring()
    keyring.set_keyring(backend)
    return backend


def test_set_then_get_through_the_keyring(memory: MemoryKeyring) -> None:
    assert get_secret("smtp_password") is None
    set_secret("smtp_password", SECRET)
    assert memory.items == {("loopcloser", "smtp_password"): SECRET}
    assert get_secret("smtp_password") == SECRET


def test_the_environment_overrides_the_keyring(
    memory: MemoryKeyring, monkeypatch: pytest.MonkeyPatch
) -> None:
    set_secret("webhook_url", "https://hooks.example.com/from-keyring")
    monkeypatch.setenv("LOOPCLOSER_WEBHOOK_URL", "https://hooks.example.com/from-env")
    assert get_secret("webhook_url") == "https://hooks.example.com/from-env"
    monkeypatch.setenv("LOOPCLOSER_WEBHOOK_URL", "")
    assert get_secret("webhook_url") == "https://hooks.example.com/from-keyring"


def test_the_environment_needs_no_keyring(
    use_keyring: None, monkeypatch: pytest.MonkeyPatch
) -> None:
    keyring.set_keyring(keyring.backends.fail.Keyring())
    monkeypatch.setenv("LOOPCLOSER_SMTP_PASSWORD", SECRET)
    assert get_secret("smtp_password") == SECRET


@pytest.mark.parametrize(
    "backend", [keyring.backends.fail.Keyring, keyring.backends.null.Keyring], ids=["fail", "null"]
)
def test_no_keyring_backend_says_to_use_the_environment(
    use_keyring: None, backend: type[KeyringBackend]
) -> None:
    keyring.set_keyring(backend())
    with pytest.raises(BadInput) as read:
        get_secret("smtp_password")
    assert read.value.message == "no keyring is available on this machine to hold smtp_password"
    assert read.value.hint == "set LOOPCLOSER_SMTP_PASSWORD in the environment instead"
    with pytest.raises(BadInput) as write:
        set_secret("smtp_password", SECRET)
    assert write.value.message == read.value.message
    assert SECRET not in f"{write.value} {write.value.hint} {write.value!r}"


def test_a_refusing_keyring_is_reported_without_the_secret(use_keyring: None) -> None:
    keyring.set_keyring(LockedKeyring())
    for call in (lambda: get_secret("smtp_password"), lambda: set_secret("smtp_password", SECRET)):
        with pytest.raises(BadInput) as caught:
            call()
        error = caught.value
        assert "keyring could not" in error.message
        assert error.hint is not None and "LOOPCLOSER_SMTP_PASSWORD" in error.hint
        assert SECRET not in f"{error} {error.hint} {error!r}"
        assert error.__cause__ is None and error.__suppress_context__


def test_unknown_names_and_empty_values_are_bad_input(memory: MemoryKeyring) -> None:
    with pytest.raises(BadInput) as unknown:
        get_secret("api_token")
    assert unknown.value.hint == "use one of: smtp_password, webhook_url, hub_password"
    with pytest.raises(BadInput):
        set_secret("api_token", SECRET)
    with pytest.raises(BadInput) as empty:
        set_secret("smtp_password", "")
    assert "empty" in empty.value.message
    assert memory.items == {}
