"""hipflask: Flask's API on a fast HTTP core serving WSGI and ASGI."""

__version__ = "0.1.0.dev0"
