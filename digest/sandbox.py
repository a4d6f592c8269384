"""The Jinja sandbox for templates written in the config (the subject, the
leads): no reaching into Python and no changing what it is shown (Jinja's
ImmutableSandboxedEnvironment: `digest.stories.pop(0)` would drop a story
from the mail, unsent and never sent), and no unbounded work either. A
config can be someone else's (a shared dotfile, a config management
template), and `{{ 'x' * 10**9 }}` or two nested `range(100000)` loops would
stall or fill memory in every build.

Bounds, each one a SecurityError that the caller turns into its usual
message:
- no value over MAX_OUTPUT characters or items made by `*`, `+`, `~`, `%`,
  a call or a filter (checked before the work where the size can be told
  beforehand: repetition, joining, replace, padding widths; after it
  otherwise);
- integers of at most MAX_INT_BITS bits from `*` and `**`;
- format widths (`%9999999d`, `{:>9999999}`, `%*d`, a width from an
  argument) of at most MAX_WIDTH;
- no `namespace()`, the one way to grow a value across loop turns;
- at most MAX_STEPS lines of template code run in one render.
"""

from __future__ import annotations

import functools
import math
import re
import sys
from typing import Any

from jinja2.compiler import CodeGenerator
from jinja2.exceptions import SecurityError
from jinja2.sandbox import ImmutableSandboxedEnvironment

MAX_OUTPUT = 20_000  # characters (or items) of any value a template makes
MAX_WIDTH = 10_000  # a padding or format width
MAX_INT_BITS = 40_000  # about 12,000 digits
MAX_STEPS = 200_000  # lines of compiled template run in one render (a lead takes ~50)

# A width written in a format string, and one taken from an argument
# (`%*d`, `{0:{1}}`).
_WRITTEN_WIDTH = re.compile(r"%[-+ #0]*\d{5,}|\{[^{}]*:[^{}]*\d{5,}[^{}]*\}")
_GIVEN_WIDTH = re.compile(r"%[-+ #0]*\*|\{[^{}]*:[^{}]*\{")
_PADDING = frozenset({"center", "ljust", "rjust", "zfill", "expandtabs", "indent", "wordwrap"})


class _BoundedCodeGenerator(CodeGenerator):
    """`~` (a Concat node) through the environment's bounded join."""

    def visit_Concat(self, node, frame) -> None:
        self.write("environment.bounded_join((")
        for arg in node.nodes:
            self.visit(arg, frame)
            self.write(", ")
        self.write("), context.eval_ctx)")


class BoundedSandbox(ImmutableSandboxedEnvironment):
    """An immutable sandbox with bounds on the work and the size of what a
    template makes. Render with `render_bounded`."""

    code_generator_class = _BoundedCodeGenerator
    intercepted_binops = frozenset({"*", "+", "**", "%"})

    def __init__(self, **options: Any):
        super().__init__(**options)
        self.globals.pop("namespace", None)
        self.filters = {name: _bounded_filter(name, f) for name, f in self.filters.items()}

    def add_filters(self, filters: dict) -> None:
        self.filters.update({name: _bounded_filter(name, f) for name, f in filters.items()})

    def bounded_join(self, values: tuple, eval_ctx) -> str:
        from jinja2.runtime import markup_join, str_join

        _check_size(sum(len(v) if isinstance(v, str) else 0 for v in values))
        joined = markup_join(values) if eval_ctx.autoescape else str_join(values)
        return _checked(joined)

    def call_binop(self, context, operator: str, left: Any, right: Any) -> Any:
        if operator in ("*", "**") and isinstance(left, int) and isinstance(right, int):
            _check_int_power(left, right) if operator == "**" else _check_bits(left.bit_length() + right.bit_length())
        if operator == "*":
            _check_repeat(left, right)
            _check_repeat(right, left)
        if operator == "+":
            _check_size(_size(left) + _size(right))
        if operator == "%" and isinstance(left, str):
            _check_format(left, right)
        return _checked(super().call_binop(context, operator, left, right))

    def call(self, __context, __obj, *args: Any, **kwargs: Any) -> Any:
        if getattr(__obj, "__name__", "") in _PADDING:
            _check_widths(args, kwargs)
        return _checked(super().call(__context, __obj, *args, **kwargs))

    def wrap_str_format(self, value: Any):
        """str.format and format_map, which Jinja's sandbox wraps on access."""
        wrapped = super().wrap_str_format(value)
        if wrapped is None:
            return None
        template = value.__self__

        @functools.wraps(wrapped)
        def bounded(*args: Any, **kwargs: Any) -> str:
            _check_format(template, (*args, *kwargs.values()))
            return _checked(wrapped(*args, **kwargs))

        return bounded


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
    except MemoryError:
        raise SecurityError("it ran out of memory") from None
    finally:
        sys.settrace(previous)
    if len(text) > MAX_OUTPUT:
        raise SecurityError(f"more than {MAX_OUTPUT:,} characters of output")
    return text


def _size(value: Any) -> int:
    return len(value) if isinstance(value, str | list | tuple | dict) else 0


def _check_size(size: int) -> None:
    if size > MAX_OUTPUT:
        raise SecurityError(f"a value over {MAX_OUTPUT:,} characters")


def _checked(value: Any) -> Any:
    _check_size(_size(value))
    if isinstance(value, int) and not isinstance(value, bool):
        _check_bits(value.bit_length())
    return value


def _check_bits(bits: int) -> None:
    if bits > MAX_INT_BITS:
        raise SecurityError(f"a number over {MAX_INT_BITS:,} bits")


def _check_int_power(base: int, exponent: int) -> None:
    if abs(base) > 1 and exponent > 0:
        _check_bits(math.ceil(exponent * math.log2(abs(base))))


def _check_repeat(sequence: Any, times: Any) -> None:
    if isinstance(sequence, str | list | tuple) and isinstance(times, int):
        _check_size(len(sequence) * times)


def _check_format(template: str, arguments: Any) -> None:
    """A format string: no width over MAX_WIDTH, written or given."""
    if _WRITTEN_WIDTH.search(template):
        raise SecurityError(f"a format width over {MAX_WIDTH:,}")
    if _GIVEN_WIDTH.search(template):  # every number given may be a width: each must fit
        _check_widths(arguments if isinstance(arguments, tuple | list) else (arguments,), {})


def _check_widths(args: tuple, kwargs: dict, depth: int = 0) -> None:
    for value in (*args, *kwargs.values()):
        if isinstance(value, int) and not isinstance(value, bool) and abs(value) > MAX_WIDTH:
            raise SecurityError(f"a width over {MAX_WIDTH:,} ({value})")
        if depth < 2 and isinstance(value, dict):
            _check_widths((), value, depth + 1)
        elif depth < 2 and isinstance(value, list | tuple):
            _check_widths(tuple(value), {}, depth + 1)


def _bounded_filter(name: str, function):
    @functools.wraps(function)  # keeps jinja_pass_arg (pass_context, pass_environment)
    def bounded(*args: Any, **kwargs: Any) -> Any:
        values = [a for a in args if not _is_jinja_context(a)]
        if name in _PADDING:
            _check_widths(tuple(values[1:]), kwargs)
        if name == "format" and values and isinstance(values[0], str):
            _check_format(values[0], tuple(values[1:]))
        if name == "replace" and len(values) >= 3 and all(isinstance(v, str) for v in values[:3]):
            value, old, new = values[:3]
            grown = len(value) + (value.count(old) if old else len(value) + 1) * max(0, len(new) - len(old))
            _check_size(grown)
        return _checked(function(*args, **kwargs))

    return bounded


def _is_jinja_context(value: Any) -> bool:
    from jinja2.environment import Environment
    from jinja2.nodes import EvalContext
    from jinja2.runtime import Context

    return isinstance(value, Context | EvalContext | Environment)
