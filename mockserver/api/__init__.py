"""The HTTP layer: one module per resource. Handlers parse, call the store, and encode."""
