"""Churn predictions: the risk formula the demo's history is generated from, the features a
model sees as of a day, the model itself and its honest evaluation (BRIEF §12)."""
