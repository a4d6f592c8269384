"""The Jinja sandbox for templates written in the config (the subject, the
leads): no reaching into Python (Jinja's SandboxedEnvironment), and no
unbounded work either. A config can be someone else's (a shared dotfile, a
config management template), and `{{ 'x' * 10**9 }}` or two nested
`range(100000)` loops would stall or fill memory in every build.

Bounds, each one a SecurityError that the caller turns into its usual
message: results of `*`, `+` and `**` that would be large; integer
arguments over MAX_INT_ARG to any call or filter (`center(10**9)`,
`range(10**6)`); `%` and `format` with a width over four digits;
`namespace()`, the one way to grow a value across loop turns; more than
MAX_STEPS lines of template code run in one render; output over MAX_OUTPUT
characters.
"""

from __future__ import annotations

import functools
import re
import sys
from typing import Any

from jinja2.exceptions import SecurityError
from jinja2.sandbox import SandboxedEnvironment

MAX_OUTPUT = 20_000  # characters a subject or lead template may render
MAX_INT_ARG = 10_000  # an integer passed to a call or filter
MAX_STEPS = 200_000  # lines of compiled template run in one render (a lead takes ~50)
MAX_EXPONENT = 256

_WIDE_FORMAT = re.compile(r"%[-+ #0]*\d{5,}|\{[^{}]*:[^{}]*\d{5,}[^{}]*\}")


class BoundedSandbox(SandboxedEnvironment):
    """SandboxedEnvironment with bounds on the work and the size of what a
    template makes. Render with `render_bounded`."""

    intercepted_binops = frozenset({"*", "+", "**", "%"})

    def __init__(self, **options: Any):
        super().__init__(**options)
        self.globals.pop("namespace", None)
        self.filters = {name: _bounded_filter(name, f) for name, f in self.filters.items()}

    def add_filters(self, filters: dict) -> None:
        self.filters.update({name: _bounded_filter(name, f) for name, f in filters.items()})

    def call_binop(self, context, operator: str, left: Any, right: Any) -> Any:
        if operator == "**" and isinstance(right, int) and abs(right) > MAX_EXPONENT:
            raise SecurityError(f"an exponent over {MAX_EXPONENT}")
        if operator == "*":
            _check_repeat(left, right)
            _check_repeat(right, left)
        if operator == "+" and _size(left) + _size(right) > MAX_OUTPUT:
            raise SecurityError(f"a value over {MAX_OUTPUT:,} characters")
        if operator == "%" and isinstance(left, str) and _WIDE_FORMAT.search(left):
            raise SecurityError("a format width over four digits")
        return super().call_binop(context, operator, left, right)

    def call(self, __context, __obj, *args: Any, **kwargs: Any) -> Any:
        _check_args(args, kwargs)
        return super().call(__context, __obj, *args, **kwargs)

    def wrap_str_format(self, value: Any):
        """str.format and format_map, which Jinja's sandbox wraps on access."""
        wrapped = super().wrap_str_format(value)
        if wrapped is not None and _WIDE_FORMAT.search(value.__self__):
            raise SecurityError("a format width over four digits")
        return wrapped


def render_bounded(template, **context: Any) -> str:
    """template.render(**context) within MAX_STEPS lines of template code
    and MAX_OUTPUT characters; SecurityError past either."""
    steps = 0

    def count(frame, event, arg):
        nonlocal steps
        if event == "line":
            steps += 1
            if steps > MAX_STEPS:
                raise SecurityError(f"more than {MAX_STEPS:,} steps")
        return count

    previous = sys.gettrace()
    sys.settrace(count)
    try:
        text = template.render(**context)
    finally:
        sys.settrace(previous)
    if len(text) > MAX_OUTPUT:
        raise SecurityError(f"more than {MAX_OUTPUT:,} characters of output")
    return text


def _size(value: Any) -> int:
    return len(value) if isinstance(value, str | list | tuple) else 0


def _check_repeat(sequence: Any, times: Any) -> None:
    if isinstance(sequence, str | list | tuple) and isinstance(times, int) and len(sequence) * times > MAX_OUTPUT:
        raise SecurityError(f"a value over {MAX_OUTPUT:,} characters")


def _check_args(args: tuple, kwargs: dict) -> None:
    for value in (*args, *kwargs.values()):
        if isinstance(value, int) and not isinstance(value, bool) and abs(value) > MAX_INT_ARG:
            raise SecurityError(f"an argument over {MAX_INT_ARG:,} ({value})")


def _bounded_filter(name: str, function):
    @functools.wraps(function)  # keeps jinja_pass_arg (pass_context, pass_environment)
    def bounded(*args: Any, **kwargs: Any) -> Any:
        _check_args(args[1:], kwargs)  # the first is the value filtered (or the context)
        if name == "format" and any(isinstance(a, str) and _WIDE_FORMAT.search(a) for a in args):
            raise SecurityError("a format width over four digits")
        return function(*args, **kwargs)

    return bounded
