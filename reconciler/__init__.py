"""speakap-sync: keep a Speakap network aligned with the HR system, the GitOps way."""

import logging

__version__ = "0.1.0"

# A library logs and leaves printing to its caller: the CLI prints warnings (cli/progress.py).
logging.getLogger(__name__).addHandler(logging.NullHandler())
