"""MMAD toolkit: data tools (synthetic roots, validation, Hub export) and the `mmad` command."""
