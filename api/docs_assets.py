"""Swagger UI (`/docs`) and ReDoc (`/redoc`) served by the app itself, with no CDN.

FastAPI's own pages load their scripts, styles, favicon and fonts from public hosts: on a
hospital network without internet they are blank. The assets are vendored unmodified from the
npm packages `swagger-ui-dist` and `redoc` (versions, licences and how to update them:
`api/static/docs/README.md`) and served under `/docs-assets`; the validator badge (a call to
validator.swagger.io) is off.
"""

from __future__ import annotations

from pathlib import Path

from fastapi import FastAPI, Request
from fastapi.openapi.docs import get_redoc_html, get_swagger_ui_html
from fastapi.responses import HTMLResponse
from fastapi.staticfiles import StaticFiles

STATIC_DIR = Path(__file__).parent / "static" / "docs"
ASSETS_PATH = "/docs-assets"


def install_docs(app: FastAPI, docs_url: str = "/docs", redoc_url: str = "/redoc") -> None:
    """Add the two documentation pages and their assets to an app built with
    `docs_url=None, redoc_url=None`."""
    app.mount(ASSETS_PATH, StaticFiles(directory=STATIC_DIR), name="docs-assets")
    openapi_url = app.openapi_url or "/openapi.json"

    def _root(request: Request) -> str:
        # Behind a proxy that mounts the app under a prefix, every URL carries the prefix.
        root_path: str = request.scope.get("root_path", "")
        return root_path.rstrip("/")

    @app.get(docs_url, include_in_schema=False)
    async def swagger_ui(request: Request) -> HTMLResponse:
        root = _root(request)
        return get_swagger_ui_html(
            openapi_url=root + openapi_url,
            title=f"{app.title} - Swagger UI",
            swagger_js_url=f"{root}{ASSETS_PATH}/swagger-ui/swagger-ui-bundle.js",
            swagger_css_url=f"{root}{ASSETS_PATH}/swagger-ui/swagger-ui.css",
            swagger_favicon_url=f"{root}{ASSETS_PATH}/swagger-ui/favicon-32x32.png",
            swagger_ui_parameters={"validatorUrl": None},
        )

    @app.get(redoc_url, include_in_schema=False)
    async def redoc(request: Request) -> HTMLResponse:
        root = _root(request)
        return get_redoc_html(
            openapi_url=root + openapi_url,
            title=f"{app.title} - ReDoc",
            redoc_js_url=f"{root}{ASSETS_PATH}/redoc/redoc.standalone.js",
            redoc_favicon_url=f"{root}{ASSETS_PATH}/swagger-ui/favicon-32x32.png",
            with_google_fonts=False,
        )
