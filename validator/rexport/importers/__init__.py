"""Importers: make REX exports from runs that MLflow, DVC, Sacred or W&B recorded."""
