"""Hostile exports built at test time in a temporary directory: no archive is stored."""
