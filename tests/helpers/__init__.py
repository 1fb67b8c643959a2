"""Helpers shared by the test areas: export builders and fixtures."""
