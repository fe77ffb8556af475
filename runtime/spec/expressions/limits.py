"""The sandbox's limits, in one place so that they can be read, tested and tuned together."""

from __future__ import annotations

__all__ = [
    "MAX_ALLOCATION",
    "MAX_AST_DEPTH",
    "MAX_AST_NODES",
    "MAX_EVALUATION_SECONDS",
    "MAX_GENERATORS",
    "MAX_INT_BITS",
    "MAX_PATTERN_LENGTH",
    "MAX_PATTERN_SIZE",
    "MAX_ROUND_DIGITS",
    "MAX_SIZE",
    "MAX_SOURCE_LENGTH",
    "MAX_STEPS",
    "MAX_TIME_FORMAT_LENGTH",
    "REGEX_ATTEMPTS",
    "REGEX_MIN_TIMEOUT_S",
]

# Compile time.
MAX_SOURCE_LENGTH = 4000        # characters; the longest seed expression is about 400
MAX_AST_DEPTH = 100             # far below the depth at which CPython's compiler recurses too deep
MAX_AST_NODES = 2000
MAX_GENERATORS = 3              # `for` clauses in one expression, over all comprehensions
MAX_PATTERN_LENGTH = 256        # characters of a regular expression
MAX_PATTERN_SIZE = 10_000       # items of a regular expression with counted repeats expanded
MAX_TIME_FORMAT_LENGTH = 64     # characters of a strftime/strptime format

# Evaluation time (per evaluation of one expression on one record).
MAX_SIZE = 1_000_000            # items or characters of one value made by the expression
MAX_INT_BITS = 8192             # bits of one integer made by `*`, `**` or `<<`
MAX_ROUND_DIGITS = 100          # |ndigits| of round(); round(x, -10**9) would build 10**(10**9)
MAX_ALLOCATION = 10_000_000     # items or characters made in total
MAX_STEPS = 1_000_000           # comprehension iterations in total
MAX_EVALUATION_SECONDS = 0.04   # CPU time of the evaluating thread; checked by iterations and regular expressions
REGEX_MIN_TIMEOUT_S = 0.005     # the least a regular expression is given (see functions._run_regex)
REGEX_ATTEMPTS = 8
