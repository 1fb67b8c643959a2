"""Interoperability: BagIt bags, RO-Crates, in-toto attestations and CycloneDX ML-BOMs."""
