"""The resources of a client: one class per API collection, sync and async."""
