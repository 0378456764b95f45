"""Stage 1, render: HR export + rules + previous state -> desired-state/ and the sync report."""
