"""The one input layer and the one output layer.

Every file a command reads goes through :mod:`hadplanner.io.reading` (size
limit before parsing, encoding, duplicate keys, line numbers) and a model;
every file a command writes goes through :mod:`hadplanner.io.writing`
(staged, then moved into place only when everything succeeded).
"""
