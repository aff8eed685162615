"""The sandbox payer: a scripted Da Vinci PAS payer (FastAPI) for development and tests."""

from integrations.sandbox_payer.app import (
    SandboxState,
    create_sandbox_app,
    run_sandbox_payer,
)
from integrations.sandbox_payer.script import SandboxBehaviour, SandboxRule, SandboxScript

__all__ = [
    "SandboxBehaviour",
    "SandboxRule",
    "SandboxScript",
    "SandboxState",
    "create_sandbox_app",
    "run_sandbox_payer",
]
