"""The shared base every layer may import: the error tree and small file-system helpers.

It imports nothing from this project. See docs/ARCHITECTURE.md for the layer order.
"""
