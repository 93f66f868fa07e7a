"""Nuvo charts: a neural UV atlas fitted on a garment mesh, its training, export and scores."""
