"""Payer integrations: the gateway interface and its implementations (simulated payer, ...)."""
