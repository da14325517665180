"""Database layer: engine, declarative base, models and repositories."""
