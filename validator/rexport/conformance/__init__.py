"""The conformance suite: finding cases, running a validator against them, lint and badge."""
