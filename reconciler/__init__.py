"""speakap-sync: keep a Speakap network aligned with the HR system, the GitOps way."""

__version__ = "0.1.0"
