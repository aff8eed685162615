"""Pure domain layer of priorauth: pydantic models and regulatory rules, no I/O.

Everything here is safe to import inside Temporal workflow code.
"""
