"""Stages 2 and 3, plan and apply: desired, live and last-applied state -> plan -> Speakap."""
