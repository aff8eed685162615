"""The web workspace: server-rendered pages for case managers and UR staff, served by the API.

Pages are jinja2 templates (`api/web/templates/`) rendered by FastAPI routes (`api/web/routes/`)
that call the same services, scope rules and action table as the JSON API, so a page can never
do or show more than the API allows its user. htmx (vendored in `api/web/static/vendor/`) makes
the partial updates; nothing is fetched from a CDN.
"""
