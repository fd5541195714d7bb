"""What the sandbox does, area by area, over its SQLite state (no HTTP here)."""
