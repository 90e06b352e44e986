"""Rendering the model as SQL (PostgreSQL today; one module per dialect later)."""
