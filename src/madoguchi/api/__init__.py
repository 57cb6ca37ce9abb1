"""The web server: REST API with OpenAPI, the live event stream, pages, auth and audit.

``create_app(settings, runtime)`` (:mod:`madoguchi.api.app`) builds the ASGI app; see
docs/api.md. ``python -m madoguchi.api.devserver`` runs the sample center for development.
"""

from __future__ import annotations

from madoguchi.api.app import create_app

__all__ = ["create_app"]
