"""What the worker process runs next to the Temporal worker: not workflow code.

`runtime.reconcile` starts the workflow of every stored case whose opening was interrupted. It
reads the store and starts workflows through a Temporal client, so it sits above `workflows`
and `store` (the layer rules in `pyproject.toml`, `docs/design.md`), on the level of `worker`.
"""
