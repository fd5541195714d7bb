"""Shared values of the sandbox tests."""

# A fixed moment (2025-06-15 15:06:40 UTC): every sandbox here runs on a frozen clock, so tests
# move time only with clock.advance() and demo databases are copied, not rebuilt, per test.
T0 = 1_750_000_000.0
KEY = "sandbox-test-key"
