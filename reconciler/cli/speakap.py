"""CLI commands: speakap."""
