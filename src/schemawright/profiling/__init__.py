"""CSV profiling: from raw data files to a normalised design (the CSV importer of the pipeline).

read CSV -> dictionary-encoded columns -> types, dependencies (desbordante) -> guards against
accidental dependencies -> Normalize-style ranking and step-by-step BCNF decomposition ->
lossless check on the data -> requirements spec -> every deliverable of `design`.
"""
