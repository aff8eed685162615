"""`/docs` and `/redoc` work without internet: every asset they reference comes from the app."""

from __future__ import annotations

import fnmatch
import re
import tomllib
from collections.abc import AsyncIterator
from html.parser import HTMLParser
from pathlib import Path

import httpx
import pytest

from api.app import create_app
from api.docs_assets import STATIC_DIR
from config.settings import Settings

ROOT = Path(__file__).resolve().parents[2]
EXPECTED_TYPES = {
    ".js": "javascript",
    ".css": "text/css",
    ".png": "image/png",
    ".json": "application/json",
}


class _References(HTMLParser):
    """Every URL the page loads: <script src>, <link href>, <img src>, <redoc spec-url>."""

    def __init__(self) -> None:
        super().__init__()
        self.urls: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        for name, value in attrs:
            if value and name in {"src", "href", "spec-url"}:
                self.urls.append(value)


def _references(html: str) -> list[str]:
    parser = _References()
    parser.feed(html)
    # Swagger UI is started from an inline script: `url: '/openapi.json'`, `oauth2RedirectUrl`.
    parser.urls += re.findall(r"\burl: ['\"]([^'\"]+)['\"]", html)
    return parser.urls


@pytest.fixture
async def http(tmp_path: Path) -> AsyncIterator[httpx.AsyncClient]:
    app = create_app(Settings(_env_file=None, environment="test", data_dir=tmp_path))
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://priorauth") as client:
        yield client


@pytest.mark.parametrize(("page", "script"), [("/docs", "swagger-ui"), ("/redoc", "redoc")])
async def test_docs_pages_load_only_from_the_app(
    http: httpx.AsyncClient, page: str, script: str
) -> None:
    answer = await http.get(page)
    assert answer.status_code == 200
    assert answer.headers["content-type"].startswith("text/html")
    html = answer.text
    urls = _references(html)
    assert any(url.endswith(".js") and script in url for url in urls), urls
    assert "/openapi.json" in urls
    assert not re.search(r"(?:src|href|spec-url|url)\s*[=:]\s*['\"]?(?:https?:)?//", html), html
    assert "fonts.googleapis" not in html
    assert "validatorUrl" not in html or '"validatorUrl": null' in html
    for url in urls:
        assert url.startswith("/"), url
        asset = await http.get(url)
        assert asset.status_code == 200, url
        suffix = Path(url).suffix
        assert EXPECTED_TYPES[suffix] in asset.headers["content-type"], (url, asset.headers)
        assert asset.content, url


async def test_swagger_validator_badge_is_off(http: httpx.AsyncClient) -> None:
    """The validator badge would send the schema's URL to validator.swagger.io."""
    html = (await http.get("/docs")).text
    assert '"validatorUrl": null' in html


def test_vendored_assets_keep_their_licences_and_ship_in_the_package() -> None:
    for folder in ("swagger-ui", "redoc"):
        licence = (STATIC_DIR / folder / "LICENSE").read_text()
        assert "License" in licence
    assert "Apache License" in (STATIC_DIR / "swagger-ui" / "LICENSE").read_text()
    assert "MIT License" in (STATIC_DIR / "redoc" / "LICENSE").read_text()
    package_data = tomllib.loads((ROOT / "pyproject.toml").read_text())["tool"]["setuptools"][
        "package-data"
    ]["api"]
    api_dir = ROOT / "api"
    files = [path.relative_to(api_dir).as_posix() for path in STATIC_DIR.rglob("*")]
    for name in (name for name in files if (api_dir / name).is_file()):
        assert any(fnmatch.fnmatch(name, pattern) for pattern in package_data), name
