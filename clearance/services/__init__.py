"""Use cases: one function per use case, one transaction per call (Cosmic Python, ch. 4-6)."""
