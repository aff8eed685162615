"""Password hashing for web sign-in (argon2id through pwdlib) and the password rule."""

from __future__ import annotations

from functools import lru_cache

from pwdlib import PasswordHash

MIN_LENGTH = 12
MAX_LENGTH = 256


@lru_cache(maxsize=1)
def _hasher() -> PasswordHash:
    return PasswordHash.recommended()


@lru_cache(maxsize=1)
def _decoy_hash() -> str:
    return _hasher().hash("a password nobody has, to spend the same time")


def password_problem(password: str) -> str | None:
    """Why `password` cannot be used, or None."""
    if len(password) < MIN_LENGTH:
        return f"must be at least {MIN_LENGTH} characters"
    if len(password) > MAX_LENGTH:
        return f"must be at most {MAX_LENGTH} characters"
    if not password.strip():
        return "must not be blank"
    return None


def hash_password(password: str) -> str:
    return _hasher().hash(password)


def verify_password(password: str, password_hash: str | None) -> bool:
    """Whether `password` matches; with no hash (no such user) the same work is done, so the
    answer's timing does not tell which user names exist."""
    if password_hash is None:
        _hasher().verify(password, _decoy_hash())
        return False
    try:
        return _hasher().verify(password, password_hash)
    except Exception:  # a malformed stored hash signs nobody in
        return False
