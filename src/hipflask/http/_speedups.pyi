from typing import TypeVar

_T = TypeVar("_T")

def parse_query_lists(text: str, /) -> dict[str, list[str]] | None: ...
def add_new_field(
    fields: list[tuple[str, str]], name: str, value: str, /
) -> bool | None: ...
def scan_send_rules(
    fields: list[tuple[str, str]], /
) -> tuple[bool, str | None, str | None] | None: ...
def scan_asgi_fields(
    fields: object, bodied: bool, /
) -> (
    tuple[bytes | None, bool, bytes | None, bool | None, str | None, str | None, bool]
    | None
): ...
def encode_asgi_fields(
    fields: list[tuple[str, str]], /
) -> list[tuple[bytes, bytes]] | None: ...
def new_instance(cls: type[_T], /) -> _T: ...
