"""CLI commands: demo."""
