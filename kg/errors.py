"""The one exception hierarchy of hvp-kg.

Every error that hvp-kg raises on purpose derives from :class:`KGError`. The CLI maps them to
exit codes and the web app to HTTP statuses, each at one boundary::

    KGError
    ├── InputError        bad user input: a file, a row, a parameter (exit 2, HTTP 400)
    │   ├── RowError      one cell of a tabular file, with file, line and column
    │   └── BadValue      a value a parser refuses (a ValueError too)
    ├── CompileError      a SHACL shape uses a feature the compiler does not support
    ├── QueryError        a SPARQL query is malformed or refused (HTTP 400)
    │   └── Refused       a query the settings do not allow: SERVICE off federation_allow (403)
    ├── ServiceFailed     a federated query's SERVICE call failed while it ran (HTTP 502)
    ├── QueryTimeout      a query ran past its time limit (HTTP 503)
    ├── Busy              as much work of its kind runs as allowed: ask again (HTTP 503)
    ├── TooLarge          input that needs more memory than allowed (HTTP 413)
    ├── NotFound          a resource that does not exist (HTTP 404)
    └── StoreError        the store cannot be opened or written (HTTP 500)
        └── StoreInUse    another process (a running `hvp serve`) holds the store

A message is an English template with ``%(name)s`` placeholders and the values that fill them
(``InputError("unknown profile %(name)r", name=name)``): ``str(error)`` is the English text (the
CLI's), :attr:`KGError.template` the message id of the interface's catalogue and
:attr:`KGError.params` its values, so that the web layer says it in the reader's language
without ``kg`` knowing of languages. A value that is itself a :class:`KGError` is said in the
same language, and so is a value that is a :class:`Word` (an English word or phrase of the
interface given as a value: ``what=Word("the write")``); a parameter named ``engine`` holds a
third party's own words (a parser's or an engine's), which a translation may leave out (the web
layer returns them beside the detail).
"""

from __future__ import annotations


class KGError(Exception):
    """Base of every error hvp-kg raises on purpose: ``message`` is a template filled from
    ``params`` (none: the message as it is)."""

    def __init__(self, message: str = "", /, **params: object) -> None:
        self.template, self.params = message, params
        super().__init__(fill(message, params))

    def __reduce__(self) -> tuple[object, ...]:
        # sent between processes (a worker's error) whatever the subclass's own arguments
        return _restore, (type(self), self.args, self.__dict__)


class Word(str):
    """An English word or phrase of the interface given as a message's value (``what=Word("the
    write")``, a name of a text: ``Word("body")``, with values of its own: ``Word("query
    %(key)r", key=key)``): a message id of the catalogue too, which the web layer says in the
    reader's language; as text, the English words themselves."""

    template: str
    params: dict[str, object]

    def __new__(cls, text: str, /, **params: object) -> Word:
        word = super().__new__(cls, fill(text, params))
        word.template, word.params = text, params
        return word

    def __getnewargs_ex__(self) -> tuple[tuple[str], dict[str, object]]:
        return (self.template,), self.params


def fill(template: str, params: dict[str, object]) -> str:
    """``template`` with its placeholders filled (as it is when there are no ``params``)."""
    return template % params if params else template


def _restore(cls: type[KGError], args: tuple[object, ...], state: dict[str, object]) -> KGError:
    error = cls.__new__(cls)
    error.args = args
    error.__dict__.update(state)
    return error


class InputError(KGError):
    """Bad input from the user: names what to fix."""


class RowError(InputError):
    """A bad cell in a tabular file, located by file, line (1-based) and column name."""

    #: How the place of the cell precedes the message (a message id of its own).
    PLACE = "%(file)s:%(line)s: column %(column)r: %(reason)s"

    def __init__(self, file: str, line: int, column: str, message: str, /,
                 **params: object) -> None:
        self.file, self.line, self.column = file, line, column
        self.reason = fill(message, params)
        super().__init__(message, **params)
        self.args = (self.PLACE % {"file": file, "line": line, "column": column,
                                   "reason": self.reason},)

    @classmethod
    def of(cls, file: str, line: int, column: str, exc: Exception) -> RowError:
        """The error for a cell a parser refused with ``exc``: its template and values when it
        is a kg error (said in the reader's language), else its text."""
        if isinstance(exc, KGError):
            return cls(file, line, column, exc.template, **exc.params)
        return cls(file, line, column, str(exc))

    def __reduce__(self) -> tuple[object, ...]:
        """Pickled with its fields, template and values (sent back from the sandbox or the
        writer process)."""
        return _row, (type(self), self.file, self.line, self.column, self.template, self.params)


def _row(cls: type[RowError], file: str, line: int, column: str, template: str,
         params: dict[str, object]) -> RowError:
    return cls(file, line, column, template, **params)


class BadValue(InputError, ValueError):
    """A value a parser refuses (a cell, a date): a :class:`ValueError` too, for the callers
    that catch those."""


class CompileError(KGError):
    """A shape that uses a SHACL feature outside the compiler's supported subset."""

    def __init__(self, message: str, /, *, shape: object = None, feature: object = None,
                 **params: object) -> None:
        self.shape, self.feature = shape, feature
        super().__init__(message, **params)


class QueryError(KGError):
    """A SPARQL query that cannot be parsed or is not allowed."""


class Refused(QueryError):
    """A well-formed query that the settings do not allow (a ``SERVICE`` to an endpoint that is
    not on ``federation_allow``)."""


class ServiceFailed(KGError):
    """A ``SERVICE`` call of a federated query that failed while the query ran: the other
    endpoint down, unreachable, or answering with an error (kg.evaluation)."""


class QueryTimeout(KGError):
    """A query that ran past its time limit and was stopped."""


class LimitExceeded(QueryTimeout):
    """Work stopped at a hard limit of the process that ran it (its time or its memory), which
    was killed; nothing it did was kept."""


class Busy(KGError):
    """Work refused because as much of its kind is running as the service allows; worth
    asking again after ``retry_after`` seconds."""

    def __init__(self, message: str, /, retry_after: int = 2, **params: object) -> None:
        super().__init__(message, **params)
        self.retry_after = retry_after


class TooLarge(KGError):
    """Input that needs more memory than the service allows to work on it."""


class NotFound(KGError):
    """A resource that does not exist."""


class Queued(Busy):
    """Work queued to run in the background (a page's first computation); its answer should
    be ready in about ``retry_after`` seconds."""


class StoreError(KGError):
    """The store cannot be opened, read or written."""


class StoreInUse(StoreError):
    """An on-disk store that another process holds open for writing (a running ``hvp serve``);
    ``holder`` names it (``hvp serve (pid 123)``), or is empty when it cannot be told."""

    def __init__(self, message: str, /, holder: str = "", **params: object) -> None:
        super().__init__(message, **params)
        self.holder = holder
