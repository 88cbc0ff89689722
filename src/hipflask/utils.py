"""``secure_filename``: a client's file name made safe to save under.

Werkzeug's rules, which Flask's upload pattern relies on
(``file.save(os.path.join(folder, secure_filename(file.filename)))``):
Unicode is decomposed (NFKD) and reduced to ASCII, path separators and runs of
whitespace become ``_``, every character but ASCII letters, digits and ``._-``
is dropped, and leading or trailing ``.`` and ``_`` go (so ``../`` cannot
survive). On Windows a reserved device name (``CON``, ``NUL``, ``COM1``...)
gets a ``_`` prefix. The result may be empty: callers must handle that.
"""

from __future__ import annotations

import os
import string
import unicodedata

__all__ = ["secure_filename"]

_KEPT = frozenset(string.ascii_letters + string.digits + "._-")
_WINDOWS_DEVICES = frozenset(
    ["AUX", "CON", "CONIN$", "CONOUT$", "NUL", "PRN"]
    + [f"{port}{digit}" for port in ("COM", "LPT") for digit in "123456789"]
)


def secure_filename(filename: str) -> str:
    """``filename`` reduced to a safe file name (possibly empty)."""
    text = unicodedata.normalize("NFKD", filename)
    text = text.encode("ascii", "ignore").decode("ascii")
    for separator in (os.sep, os.path.altsep):
        if separator:
            text = text.replace(separator, " ")
    text = "_".join(text.split())
    text = "".join(char for char in text if char in _KEPT).strip("._")
    if os.name == "nt" and text.partition(".")[0].strip().upper() in _WINDOWS_DEVICES:
        text = f"_{text}"
    return text
