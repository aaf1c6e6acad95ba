"""The HTTP adapter: Litestar controllers, the token guard, problem mapping and request parsing."""
