"""CLI commands: github."""
