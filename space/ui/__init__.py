"""The Space's page: one builder per tab, and the callbacks they wire up (`callbacks.BoardApp`)."""
