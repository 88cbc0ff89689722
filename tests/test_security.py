"""hipflask.security: password hashes that Werkzeug reads and writes too."""

from __future__ import annotations

import pytest
import werkzeug.security

from hipflask import sending
from hipflask.security import (
    SALT_CHARS,
    check_password_hash,
    gen_salt,
    generate_password_hash,
    safe_join,
)

# Cheap parameters keep the suite fast; the defaults are checked once each.
METHODS = ["scrypt:1024:8:1", "pbkdf2:sha256:1000", "pbkdf2:sha512:10"]


@pytest.mark.parametrize("method", METHODS)
@pytest.mark.parametrize("password", ["secret", "", "pässwörd ✓", "a$b$c"])
def test_hashes_verify_both_ways_with_werkzeug(method: str, password: str) -> None:
    ours = generate_password_hash(password, method)
    theirs = werkzeug.security.generate_password_hash(password, method)
    assert check_password_hash(theirs, password)
    assert werkzeug.security.check_password_hash(ours, password)
    assert check_password_hash(ours, password)
    assert not check_password_hash(ours, password + "x")
    assert not check_password_hash(theirs, password + "x")


def test_default_method_is_werkzeugs_scrypt() -> None:
    stored = generate_password_hash("pw")
    method, salt, digest = stored.split("$")
    assert method == "scrypt:32768:8:1"
    assert len(salt) == 16 and set(salt) <= set(SALT_CHARS)
    assert len(digest) == 128  # 64 bytes in hex
    assert werkzeug.security.check_password_hash(stored, "pw")


def test_bare_methods_spell_their_defaults() -> None:
    assert generate_password_hash("pw", "pbkdf2:sha256:1").startswith(
        "pbkdf2:sha256:1$"
    )
    stored = werkzeug.security.generate_password_hash("pw", "pbkdf2:sha1")
    assert stored.startswith("pbkdf2:sha1:1000000$")
    assert check_password_hash(stored, "pw")


def test_salts() -> None:
    assert len(gen_salt(40)) == 40
    assert gen_salt(40) != gen_salt(40)
    with pytest.raises(ValueError, match="at least 1"):
        gen_salt(0)
    first = generate_password_hash("pw", METHODS[1])
    assert first != generate_password_hash("pw", METHODS[1])  # salted


@pytest.mark.parametrize("stored", ["", "nodollar", "scrypt$onlysalt"])
def test_malformed_hashes_do_not_match(stored: str) -> None:
    assert check_password_hash(stored, "pw") is False


@pytest.mark.parametrize(
    "method",
    ["md5", "plain", "scrypt:1:2", "scrypt:a:b:c", "pbkdf2:sha256:x", "pbkdf2:a:1:2"],
)
def test_bad_methods_raise(method: str) -> None:
    with pytest.raises(ValueError, match=r"scrypt|pbkdf2"):
        generate_password_hash("pw", method)
    with pytest.raises(ValueError, match=r"scrypt|pbkdf2"):
        check_password_hash(f"{method}$salt$00", "pw")


def test_safe_join_is_the_sending_one() -> None:
    assert safe_join is sending.safe_join
    assert safe_join("/srv", "a", "b.txt") == "/srv/a/b.txt"
    assert safe_join("/srv", "../etc/passwd") is None
