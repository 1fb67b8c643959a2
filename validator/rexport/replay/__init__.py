"""Replay: unpack an export, rebuild its environment, run its command and compare metrics."""
