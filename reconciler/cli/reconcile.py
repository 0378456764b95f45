"""CLI commands: reconcile."""
