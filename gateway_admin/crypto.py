"""Encryption at rest of service-account credentials.

MultiFernet over settings.CREDENTIAL_KEYS: the first key encrypts, every key decrypts, so keys can be
rotated by prepending a new one and running `manage.py rotate_credentials`. The keys are their own
secret and are never derived from SECRET_KEY (a leaked SECRET_KEY must not expose credentials).
"""

from __future__ import annotations

from functools import lru_cache

from cryptography.fernet import Fernet, InvalidToken, MultiFernet
from django.conf import settings
from django.core.signals import setting_changed
from django.dispatch import receiver


class CredentialKeyError(RuntimeError):
    """CREDENTIAL_KEYS is empty or holds a value that is not a Fernet key."""


class CredentialDecryptError(RuntimeError):
    """A stored credential cannot be decrypted with any of the configured keys.

    `label` names the row (e.g. 'key "demo" (id 3)') so an operator can act on it. The message never
    contains the ciphertext or any part of the secret.
    """

    def __init__(self, label: str, reason: str) -> None:
        super().__init__(f"cannot decrypt the credential of {label}: {reason}")
        self.label = label
        self.reason = reason


@lru_cache(maxsize=1)
def _fernet_for(keys: tuple[str, ...]) -> MultiFernet:
    if not keys:
        raise CredentialKeyError("CREDENTIAL_KEYS is empty: set at least one Fernet key")
    fernets = []
    for position, key in enumerate(keys, start=1):
        try:
            fernets.append(Fernet(key.strip().encode()))
        except (ValueError, TypeError) as exc:
            raise CredentialKeyError(
                f"CREDENTIAL_KEYS entry {position} is not a Fernet key (32 url-safe base64 bytes)"
            ) from exc
    return MultiFernet(fernets)


def fernet() -> MultiFernet:
    """The MultiFernet built from the current settings (cached per key list)."""
    return _fernet_for(tuple(k for k in settings.CREDENTIAL_KEYS if k.strip()))


@receiver(setting_changed)
def _reset_on_setting_change(*, setting: str, **_: object) -> None:
    if setting == "CREDENTIAL_KEYS":
        _fernet_for.cache_clear()


def encrypt_credentials(raw: str) -> str:
    """Encrypt a credential with the first key. "" (Application Default Credentials) stays ""."""
    if not raw:
        return ""
    return fernet().encrypt(raw.encode()).decode()


def decrypt_credentials(token: str, *, label: str = "a stored credential") -> str:
    """Decrypt a stored credential; "" stays "" (ADC). Raises CredentialDecryptError."""
    if not token:
        return ""
    try:
        return fernet().decrypt(token.encode()).decode()
    except InvalidToken as exc:
        raise CredentialDecryptError(
            label, "none of the CREDENTIAL_KEYS opens it (a key was removed or the value was altered)"
        ) from exc
    except UnicodeDecodeError as exc:
        raise CredentialDecryptError(label, "the decrypted value is not text") from exc


def rotate_credentials(token: str, *, label: str = "a stored credential") -> str:
    """Re-encrypt a stored credential with the first key (MultiFernet.rotate)."""
    if not token:
        return ""
    try:
        return fernet().rotate(token.encode()).decode()
    except InvalidToken as exc:
        raise CredentialDecryptError(
            label, "none of the CREDENTIAL_KEYS opens it (a key was removed or the value was altered)"
        ) from exc
