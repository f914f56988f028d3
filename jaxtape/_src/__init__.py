"""jaxtape's implementation; the public modules re-export from here (see docs/design.md)."""
