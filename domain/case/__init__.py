"""The case: its vocabulary, facts, state, messages, views and transitions (pure, no I/O)."""
