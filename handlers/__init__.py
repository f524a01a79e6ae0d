"""Platform-neutral use cases and the neutral chat model."""
