"""Lowest layer: settings, the error tree, logging and secret masking; imports nothing of ours."""
