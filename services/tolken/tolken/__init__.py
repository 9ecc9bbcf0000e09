"""Tolken: social-interpreter registry, matching and the interpreter desk."""
