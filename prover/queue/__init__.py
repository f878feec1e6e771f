"""The Redis queue: jobs, verification tasks, events and worker registry."""
