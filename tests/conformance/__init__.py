"""Tests of the conformance suite, its runner, lint and badge."""
