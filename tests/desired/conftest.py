"""The desired-state tests use the same files-on-disk world as the render tests."""

from tests.render.conftest import snapshot_dir, state_dir, sync

__all__ = ["snapshot_dir", "state_dir", "sync"]
