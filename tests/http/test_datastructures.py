from __future__ import annotations

import copy
import io
import os
import pathlib
import pickle
import tempfile
import typing as t

import pytest
from werkzeug import datastructures as wz

from hipflask.http import datastructures, header_structures, multidict
from hipflask.http.datastructures import FileStorage, Headers, HeaderSet

# -- the Werkzeug-style import location ------------------------------------------------


def test_reexports() -> None:
    assert datastructures.MultiDict is multidict.MultiDict
    assert datastructures.ImmutableMultiDict is multidict.ImmutableMultiDict
    assert datastructures.CombinedMultiDict is multidict.CombinedMultiDict
    assert datastructures.CallbackDict is multidict.CallbackDict
    assert datastructures.iter_multi_items is multidict.iter_multi_items
    assert datastructures.Headers is header_structures.Headers
    assert datastructures.EnvironHeaders is header_structures.EnvironHeaders
    for name in datastructures.__all__:
        assert hasattr(datastructures, name)
        assert hasattr(wz, name), f"Werkzeug has no {name}"


# -- HeaderSet -------------------------------------------------------------------------


def test_header_set_basics() -> None:
    hs = HeaderSet(["Accept", "accept", "Cookie"])
    assert list(hs) == ["Accept", "Cookie"]
    assert len(hs) == 2
    assert bool(hs)
    assert not HeaderSet()
    assert "ACCEPT" in hs
    assert "missing" not in hs
    assert 1 not in hs
    assert hs[1] == "Cookie"
    assert hs.find("cookie") == 1
    assert hs.find("missing") == -1
    assert hs.index("COOKIE") == 1
    with pytest.raises(IndexError):
        hs.index("missing")
    assert hs.as_set() == {"accept", "cookie"}
    assert hs.as_set(preserve_casing=True) == {"Accept", "Cookie"}
    assert repr(hs) == "HeaderSet(['Accept', 'Cookie'])"


@pytest.mark.parametrize(
    ("items", "header"),
    [
        ([], ""),
        (["Accept"], "Accept"),
        (["Accept", "Cookie"], "Accept, Cookie"),
        (["with space"], '"with space"'),
        (['q"uote'], '"q\\"uote"'),
        (["*"], "*"),
    ],
)
def test_header_set_to_header(items: list[str], header: str) -> None:
    hs = HeaderSet(items)
    assert hs.to_header() == header
    assert str(hs) == header
    assert hs.to_header() == wz.HeaderSet(items).to_header()


def test_header_set_changes_and_on_update() -> None:
    calls: list[HeaderSet] = []
    hs = HeaderSet(["A"], on_update=calls.append)
    hs.add("a")  # already there: no change
    assert calls == []
    hs.add("B")
    hs.update(["c", "C", "b"])
    assert list(hs) == ["A", "B", "c"]
    assert len(calls) == 2
    hs.remove("b")  # case-insensitive
    assert list(hs) == ["A", "c"]
    with pytest.raises(KeyError):
        hs.remove("missing")
    hs.discard("missing")
    hs.discard("C")
    assert list(hs) == ["A"]
    hs[0] = "Z"
    assert list(hs) == ["Z"]
    assert "a" not in hs
    hs.add("Y")
    del hs[0]
    assert list(hs) == ["Y"]
    assert "z" not in hs
    hs.clear()
    assert list(hs) == []
    assert len(calls) == 8
    assert all(call is hs for call in calls)


def test_header_set_pickles_without_callback() -> None:
    hs = HeaderSet(["A", "b"])
    restored = pickle.loads(pickle.dumps(hs))
    assert list(restored) == ["A", "b"]
    assert "B" in restored


# -- FileStorage -----------------------------------------------------------------------


def test_file_storage_defaults() -> None:
    fs = FileStorage()
    assert isinstance(fs.stream, io.BytesIO)
    assert fs.read() == b""
    assert fs.filename is None
    assert fs.name is None
    assert not fs
    assert type(fs.headers) is Headers
    assert len(fs.headers) == 0
    assert fs.content_type is None
    assert fs.content_length == 0
    assert fs.mimetype == ""
    assert fs.mimetype_params == {}
    assert repr(fs) == "<FileStorage: None (None)>"


def test_file_storage_attributes() -> None:
    fs = FileStorage(
        io.BytesIO(b"line 1\nline 2\n"),
        filename="a.txt",
        name="upload",
        content_type="Text/Plain; charset=UTF-8",
        content_length=14,
    )
    assert fs.filename == "a.txt"
    assert fs.name == "upload"
    assert bool(fs)
    assert fs.headers["Content-Type"] == "Text/Plain; charset=UTF-8"
    assert fs.headers["Content-Length"] == "14"
    assert fs.content_type == "Text/Plain; charset=UTF-8"
    assert fs.content_length == 14
    assert fs.mimetype == "text/plain"
    assert fs.mimetype_params == {"charset": "UTF-8"}
    assert repr(fs) == "<FileStorage: 'a.txt' ('Text/Plain; charset=UTF-8')>"
    assert list(fs) == [b"line 1\n", b"line 2\n"]


def test_file_storage_uses_given_headers() -> None:
    headers = Headers([("Content-Type", "image/png"), ("X-Extra", "1")])
    fs = FileStorage(filename="a.png", headers=headers)
    assert fs.headers is headers
    assert fs.mimetype == "image/png"
    FileStorage(headers=headers, content_type="image/gif")
    assert headers["Content-Type"] == "image/gif"


def test_file_storage_mimetype_follows_header_changes() -> None:
    fs = FileStorage(content_type="text/plain; charset=ascii")
    assert fs.mimetype_params == {"charset": "ascii"}
    fs.headers["Content-Type"] = "Application/JSON"
    assert fs.mimetype == "application/json"
    assert fs.mimetype_params == {}


@pytest.mark.parametrize(
    "content_type",
    [
        "text/plain",
        "Text/HTML; Charset=UTF-8",
        'multipart/form-data; boundary="--x; y"',
        'text/plain; name="a\\"b"',
        "text/plain; x",
        'text/plain; x="unterminated',
        "text/plain; =; ; a=1",
        "attachment; filename*=UTF-8''%E2%82%AC%20rates",
        "",
        ";;;",
        "a/b;" * 1000,
    ],
)
def test_file_storage_mimetype_matches_werkzeug(content_type: str) -> None:
    ours = FileStorage(content_type=content_type)
    theirs = wz.FileStorage(content_type=content_type)
    assert ours.mimetype == theirs.mimetype
    assert ours.mimetype_params == theirs.mimetype_params


@pytest.mark.parametrize(
    ("header", "expected"),
    [
        ("123", 123),
        (" 42 ", 42),
        ("0", 0),
        ("", 0),
        ("-1", 0),
        ("+5", 0),
        ("1_000", 0),
        ("1.5", 0),
        ("12abc", 0),
        ("\u0661\u0662", 0),  # Arabic-Indic digits are not HTTP digits
        ("\u00b2", 0),
        ("9" * 5000, 0),  # beyond int()'s digit limit
    ],
)
def test_file_storage_content_length(header: str, expected: int) -> None:
    fs = FileStorage(headers=Headers([("Content-Length", header)]))
    assert fs.content_length == expected


def test_file_storage_filename_from_stream(tmp_path: pathlib.Path) -> None:
    path = tmp_path / "real.bin"
    path.write_bytes(b"data")
    with open(path, "rb") as stream:
        assert FileStorage(stream).filename == str(path)
        assert FileStorage(stream, filename="given").filename == "given"
    with open(os.fspath(path).encode(), "rb") as stream:
        assert FileStorage(stream).filename == str(path)


@pytest.mark.parametrize("stream_name", ["<stdin>", "<fdopen>", 3, None])
def test_file_storage_ignores_pseudo_stream_names(stream_name: object) -> None:
    stream = io.BytesIO(b"")
    stream.name = stream_name  # type: ignore[attr-defined]
    assert FileStorage(stream).filename is None


def test_file_storage_filename_path_like() -> None:
    assert (
        FileStorage(filename=pathlib.PurePosixPath("dir/a.txt")).filename == "dir/a.txt"
    )


@pytest.mark.parametrize("as_type", [str, pathlib.Path, os.fsencode])
def test_file_storage_save_to_path(
    tmp_path: pathlib.Path, as_type: t.Callable[[str], t.Any]
) -> None:
    data = os.urandom(50_000)
    fs = FileStorage(io.BytesIO(data), filename="x.bin")
    target = tmp_path / "saved.bin"
    fs.save(as_type(str(target)), buffer_size=1000)
    assert target.read_bytes() == data


def test_file_storage_save_to_file_object_leaves_it_open() -> None:
    fs = FileStorage(io.BytesIO(b"payload"))
    target = io.BytesIO()
    fs.save(target)
    assert not target.closed
    assert target.getvalue() == b"payload"


def test_file_storage_save_spooled_temporary_file(tmp_path: pathlib.Path) -> None:
    with tempfile.SpooledTemporaryFile(max_size=10) as spooled:
        spooled.write(b"x" * 100)  # rolled over to a real file
        spooled.seek(0)
        fs = FileStorage(spooled, filename="s.txt")  # type: ignore[arg-type]
        target = tmp_path / "s.txt"
        fs.save(target)
        assert target.read_bytes() == b"x" * 100


def test_file_storage_delegates_to_stream() -> None:
    fs = FileStorage(io.BytesIO(b"abcdef"))
    assert fs.read(2) == b"ab"
    assert fs.tell() == 2
    fs.seek(0)
    assert fs.readline() == b"abcdef"
    assert fs.getvalue() == b"abcdef"
    with pytest.raises(AttributeError):
        fs.no_such_attribute  # noqa: B018


def test_file_storage_close() -> None:
    stream = io.BytesIO(b"x")
    fs = FileStorage(stream)
    fs.close()
    assert stream.closed
    fs.close()  # closing twice is fine

    class Broken(io.BytesIO):
        failing = True

        def close(self) -> None:
            if self.failing:  # once: the finaliser closes it again, quietly
                self.failing = False
                raise OSError("boom")
            super().close()

    broken = Broken()
    FileStorage(broken).close()  # errors are swallowed
    assert not broken.failing  # the failing close did run


def test_file_storage_copy_does_not_recurse() -> None:
    fs = FileStorage(io.BytesIO(b"x"), filename="a")
    clone = copy.copy(fs)
    assert clone.filename == "a"
    assert clone.stream is fs.stream


def test_file_storage_matches_werkzeug_repr_and_bool() -> None:
    for kwargs in (
        {},
        {"filename": "a.txt", "content_type": "text/plain"},
        {"filename": ""},
    ):
        ours = FileStorage(io.BytesIO(b""), **kwargs)  # type: ignore[arg-type]
        theirs = wz.FileStorage(io.BytesIO(b""), **kwargs)  # type: ignore[arg-type]
        assert repr(ours) == repr(theirs)
        assert bool(ours) == bool(theirs)
