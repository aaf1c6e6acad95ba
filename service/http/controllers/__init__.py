"""Route handlers: thin adapters from HTTP to the operations in service.ops."""
