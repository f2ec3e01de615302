"""The version of the fluenzr package."""

__version__ = "0.1.0"
