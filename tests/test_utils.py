"""hipflask.utils.secure_filename, checked against Werkzeug's."""

from __future__ import annotations

import pytest
import werkzeug.utils

from hipflask.utils import secure_filename

NAMES = [
    "My cool movie.mov",
    "../../../etc/passwd",
    "i contain cool \xfcml\xe4uts.txt",
    "\u0410\u043d\u043d\u0430.txt",  # Cyrillic only: nothing survives
    "",
    "   ",
    "..",
    "._.hidden_.",
    "a\tb\nc  d.txt",
    "C:\\Windows\\system32",
    "ﬁle №1.pdf",  # compatibility characters decompose
    "naïve café.jpeg",
    "x" * 300,
    "CON",
    "con.txt",
    "foo$bar&baz?.png",
    "/leading/slash",
    "-dash_and.dots.",
]


@pytest.mark.parametrize("name", NAMES)
def test_matches_werkzeug(name: str) -> None:
    assert secure_filename(name) == werkzeug.utils.secure_filename(name)


def test_examples() -> None:
    assert secure_filename("My cool movie.mov") == "My_cool_movie.mov"
    assert secure_filename("../../../etc/passwd") == "etc_passwd"
    assert secure_filename("i contain cool \xfcml\xe4uts.txt") == (
        "i_contain_cool_umlauts.txt"
    )
    assert secure_filename("\u0410\u043d\u043d\u0430") == ""
