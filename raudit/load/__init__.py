"""Everything that opens a model or a data file: safe loaders, adapters, CSV/Parquet sources."""
