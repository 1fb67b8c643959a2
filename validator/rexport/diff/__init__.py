"""Compare two exports section by section (code, data, environment, config, results)."""
