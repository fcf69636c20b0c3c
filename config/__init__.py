"""Configuration: the frozen model tree (``config.model``) and its layered loader."""
