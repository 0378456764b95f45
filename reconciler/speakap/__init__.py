"""Live Speakap state over SCIM 2.0: the dialect, the client, the backend and the simulator.

The rest of the code sees only :class:`reconciler.reconcile.backend.Backend` (``ScimBackend`` here);
nothing outside this package builds an HTTP request.
"""
