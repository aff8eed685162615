"""priorauth workflows package."""
