"""The Faust layer: the only package that imports faust."""
