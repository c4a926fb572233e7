"""The one distinction the retry policy needs: failures that another attempt cannot fix."""


class PermanentError(Exception):
    """A failure that retrying will not heal: the input or the configuration has to change."""


def is_worth_retrying(error: BaseException) -> bool:
    """True for transient trouble (network, server errors), False for a `PermanentError`."""
    return not isinstance(error, PermanentError)
