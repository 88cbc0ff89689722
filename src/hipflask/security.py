"""Password hashes in Werkzeug's stored format, and ``safe_join``.

Flask applications hash passwords with ``werkzeug.security``; these functions
read and write the same strings, so an application moving to hipflask keeps
its users' passwords, and hashes made here verify with Werkzeug.

A stored hash is ``method$salt$digest`` (the digest in hex). ``method`` names
the key derivation and its parameters: ``scrypt:N:r:p`` (the default,
``scrypt:32768:8:1``) or ``pbkdf2:hash-name:iterations`` (the default,
``pbkdf2:sha256:1000000``). When hashing, a bare ``scrypt`` or ``pbkdf2``, or
``pbkdf2:hash-name``, takes the defaults for what it leaves out; the stored
string always spells every parameter out. Digests are compared in constant
time.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
import string

from .sending import safe_join

__all__ = [
    "DEFAULT_PBKDF2_ITERATIONS",
    "SALT_CHARS",
    "check_password_hash",
    "gen_salt",
    "generate_password_hash",
    "safe_join",
]

#: The characters salts are drawn from.
SALT_CHARS = string.ascii_letters + string.digits
#: PBKDF2 iterations when ``pbkdf2`` names none.
DEFAULT_PBKDF2_ITERATIONS = 1_000_000
#: scrypt's cost (N), block size (r) and parallelism (p) when ``scrypt`` names none.
_SCRYPT_DEFAULTS = (2**15, 8, 1)


def gen_salt(length: int) -> str:
    """A random string of ``length`` :data:`SALT_CHARS` (from ``secrets``)."""
    if length <= 0:
        raise ValueError(f"The salt length must be at least 1, not {length}.")
    return "".join(secrets.choice(SALT_CHARS) for _ in range(length))


def _derive(method: str, salt: str, password: str) -> tuple[str, str]:
    """``(hex digest, method with every parameter)`` of ``password``."""
    name, _, params = method.partition(":")
    args = params.split(":") if params else []
    if name == "scrypt":
        if not args:
            n, r, p = _SCRYPT_DEFAULTS
        elif len(args) == 3 and all(arg.isascii() and arg.isdigit() for arg in args):
            n, r, p = (int(arg) for arg in args)
        else:
            raise ValueError(f"{method!r}: scrypt takes three numbers, scrypt:N:r:p.")
        # scrypt needs about 128 * N * r * p bytes; the default cap is lower.
        digest = hashlib.scrypt(
            password.encode(), salt=salt.encode(), n=n, r=r, p=p, maxmem=132 * n * r * p
        )
        return digest.hex(), f"scrypt:{n}:{r}:{p}"
    if name == "pbkdf2":
        if len(args) > 2 or (
            len(args) == 2 and not (args[1].isascii() and args[1].isdigit())
        ):
            raise ValueError(
                f"{method!r}: pbkdf2 takes a hash name and a number of"
                " iterations, pbkdf2:sha256:600000."
            )
        hash_name = args[0] if args else "sha256"
        iterations = int(args[1]) if len(args) == 2 else DEFAULT_PBKDF2_ITERATIONS
        digest = hashlib.pbkdf2_hmac(
            hash_name, password.encode(), salt.encode(), iterations
        )
        return digest.hex(), f"pbkdf2:{hash_name}:{iterations}"
    raise ValueError(f"Unknown password hash method {name!r}: use scrypt or pbkdf2.")


def generate_password_hash(
    password: str, method: str = "scrypt", salt_length: int = 16
) -> str:
    """A salted hash of ``password`` to store (``method$salt$digest``)."""
    salt = gen_salt(salt_length)
    digest, spelled = _derive(method, salt, password)
    return f"{spelled}${salt}${digest}"


def check_password_hash(pwhash: str, password: str) -> bool:
    """Whether ``password`` matches the stored ``pwhash``.

    A string that is not ``method$salt$digest`` does not match; one whose
    method is unknown raises ValueError (stored data that cannot be right).
    """
    parts = pwhash.split("$", 2)
    if len(parts) != 3:
        return False
    method, salt, digest = parts
    return hmac.compare_digest(_derive(method, salt, password)[0], digest)
