"""The end-to-end tier: the graded class, browsers, fresh virtual environments, a Dask cluster, training on the real dataset."""
