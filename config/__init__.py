"""Process-wide configuration (pydantic-settings) and logging (structlog) for priorauth."""
