"""What a `try` statement of a differentiated function runs (passes/lower_try.py).

A try body becomes branches: each operation in it that may raise is first
tried by `exception_of`, which gives back the exception it raised if the
statement's handlers catch that, else None (an exception they do not catch
propagates, as from the try body). The operation itself then runs in the
branch taken when nothing was caught, where its derivative is taken:

    try:                                    _catching = LinAlgError
        L = np.linalg.cholesky(K)           _caught = None
    except LinAlgError:                     _caught = exception_of(_catching, np.linalg.cholesky, K)
        L = np.linalg.cholesky(K + J)       if _caught is None:
                                                L = np.linalg.cholesky(K)
                                            if _caught is None:
                                                pass
                                            else:
                                                ...  # the handler, with L from K + J

Only operations that compute the same value every time they run with the
same operands are tried so (lower_try.py refuses the others in a try body).
"""

from __future__ import annotations

from ..errors import AdError


def try_body(catching) -> bool:
    """Marks the try body (`if try_body(_catching):`) from the statement's
    lowering, before the body is normalised, until lower_try guards each
    operation of it; never left in code that runs, it is always true."""
    return True


def kinds_caught(*kinds) -> tuple:
    """The classes of exceptions a try statement's handlers catch, as one
    tuple `except` takes (a handler's may be a tuple itself).

    Example:
        >>> kinds_caught(KeyError, (ValueError, TypeError))
        (<class 'KeyError'>, <class 'ValueError'>, <class 'TypeError'>)
    """
    joined: list = []
    for kind in kinds:
        joined.extend(kinds_caught(*kind) if isinstance(kind, tuple) else (kind,))
    return tuple(joined)


def exception_of(catching, operation, /, *operands, **keywords):
    """The exception `operation(*operands, **keywords)` raises if it is one of
    `catching` (a class or a tuple of classes, as in `except`), else None.

    Example:
        >>> exception_of(ZeroDivisionError, operator.truediv, 1.0, 0.0)
        ZeroDivisionError('float division by zero')
        >>> exception_of(ZeroDivisionError, operator.truediv, 1.0, 2.0) is None
        True
    """
    try:
        operation(*operands, **keywords)
    except catching as caught:
        if isinstance(caught, AdError):
            # adcompiler's own refusal of what the operation was given (a
            # runtime helper standing for it): the function itself would not
            # have raised it, so no handler of the user's may take it.
            raise
        return caught
    return None


def raised(catching, exception):
    """`raise exception` in a try body: the exception (made from its class, as
    `raise` makes it) if one of `catching`, else raised from here.

    Example:
        >>> raised(ValueError, ValueError("negative"))
        ValueError('negative')
    """
    if isinstance(exception, type) and issubclass(exception, BaseException):
        exception = exception()
    if not isinstance(exception, BaseException):
        raise TypeError("exceptions must derive from BaseException")
    if isinstance(exception, catching):
        return exception
    raise exception
