"""The two passes over the rows, the audit context, reference profiles, the Dask engine."""
