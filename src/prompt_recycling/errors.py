"""The one exception type users see: a bad input, explained in one line."""


class RecyclingError(ValueError):
    """Raised for bad user input (files, shapes, settings). The CLI prints it as one line."""
