"""Helpers for testing code built on civicledger (needs the ``hypothesis`` package)."""
