"""Reduction library pages: projects, the library, declaration, review, evidence, rounds, factors,
bulk declaration and the bulletin, one module per topic (``reductions.urls`` names them)."""
