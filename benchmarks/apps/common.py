"""Data every peer's apps share, so that all of them do the same work.

Each peer module spells routes in its own syntax; the values here (template
rows, session secret, the filler-route plan of ``routes_N``, hook names and
the upload limits) are the same for all of them.
"""

from __future__ import annotations

import os
import tempfile
from pathlib import Path

#: Signing key of every session cookie in the benchmark (never a real secret).
SECRET_KEY = "hipflask-benchmark-secret-key"
#: The value the ``session`` scenario stores at /login and reads at /session.
SESSION_USER = "alice"
#: Name of the session cookie for peers that let the app choose it.
SESSION_COOKIE = "session"

#: The folder of ``table.html``; Flask-style apps find it as ``templates/``.
TEMPLATE_DIR = Path(__file__).resolve().with_name("templates")
TEMPLATE_NAME = "table.html"
#: Twenty rows; the ampersand makes every peer's autoescaping do real work.
ROWS: tuple[dict[str, object], ...] = tuple(
    {"id": index, "name": f"Widget {index} & Co", "price": f"{index * 1.25:.2f}"}
    for index in range(1, 21)
)

#: Names the three before-request hooks append, in order.
BEFORE_HOOKS = ("b1", "b2", "b3")
#: Headers the three after-request hooks set (value "1").
AFTER_HEADERS = ("X-After-1", "X-After-2", "X-After-3")

#: Request-body limit for the upload apps (the memory probe sends 100 MiB).
MAX_UPLOAD_BYTES = 256 * 1024 * 1024
#: Name of the file the ``upload_save`` apps write into ``upload_dir()``.
UPLOAD_FILENAME = "upload.bin"

#: The ``routes_N`` target, requested as /api/v1/users/7/posts/42.
TARGET_USER_ID = 7
TARGET_POST_ID = 42


def route_plan(total: int) -> list[tuple[str, int]]:
    """The ``total - 1`` filler rules of a ``routes_N`` app, as (kind, index).

    Kinds cycle through ``static`` (/api/v1/static{i}/index), ``int``
    (/api/v1/res{i}/<int:item_id>) and ``slug`` (/api/v1/res{i}/<slug>/detail).
    The target rule (/api/v1/users/<int:user_id>/posts/<int:post_id>) is
    registered after them: it is the last dynamic rule of the app.
    """
    kinds = ("static", "int", "slug")
    return [(kinds[index % 3], index) for index in range(total - 1)]


def upload_path() -> str:
    """Where the ``upload_save`` apps write the received file."""
    directory = os.environ.get("BENCH_UPLOAD_DIR") or tempfile.gettempdir()
    return os.path.join(directory, f"hipflask-bench-{os.getpid()}-{UPLOAD_FILENAME}")
