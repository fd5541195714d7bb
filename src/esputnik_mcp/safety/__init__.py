"""Structural safety: which tools exist (policy), confirmation of sends and irreversible writes,
recipient guards and rate limits, the duplicate-send ledger, and the audit log."""
