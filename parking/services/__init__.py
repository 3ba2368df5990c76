"""Use cases that tie the core rules to the adapters: what happens when a plate is read at a lane."""
