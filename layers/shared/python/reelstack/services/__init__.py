"""Application services: orchestrate domain rules over injected adapters (one use case per function)."""
