"""Web tests share the root fixtures (cheap argon2 hashing included)."""
