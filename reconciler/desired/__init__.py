"""The desired state: the YAML documents a user writes, their schemas, the users/ shards,
and the last-applied state in git."""
