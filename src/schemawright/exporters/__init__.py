"""Writers of a model in other formats: a requirements spec, DBML."""
