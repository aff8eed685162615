"""HTTP API (FastAPI) for case managers, UR staff and payer integrations."""
