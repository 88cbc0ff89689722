"""Shared fixtures: every app-level test runs under WSGI and under ASGI."""

from __future__ import annotations

import typing as t

import pytest

from hipflask import Flask
from hipflask.testing import FlaskClient


@pytest.fixture(params=["wsgi", "asgi"], ids=["wsgi", "asgi"])
def protocol(request: pytest.FixtureRequest) -> str:
    """The protocol the test client drives the app through."""
    return t.cast(str, request.param)


@pytest.fixture
def app() -> Flask:
    """A fresh application in testing mode."""
    app = Flask("test_app", root_path="/nonexistent-root")
    app.config.update(TESTING=True, SECRET_KEY="test key")
    return app


@pytest.fixture
def client(app: Flask, protocol: str) -> FlaskClient:
    """A test client for ``app`` over the protocol under test."""
    return app.test_client(asgi=protocol == "asgi")
