"""schemawright: designs relational schemas from requirements and proves them on PostgreSQL."""

__version__ = "0.1.0"
