"""The web workspace's pages, one module per page (or pair of sign-in pages)."""
