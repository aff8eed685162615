"""priorauth activities package."""
