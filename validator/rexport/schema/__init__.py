"""The JSON Schemas of REX v1: the offline registry, the validators, formats and messages."""
