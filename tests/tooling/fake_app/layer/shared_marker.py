"""Imported by the fake functions to prove the layer directory is on sys.path."""

LAYER_VALUE = "from-the-layer"
