"""Tamper detection: is torch (and are Python's builtins) still what torch and Python shipped?

A student who replaces `torch.allclose`, `torch.Tensor.backward` or `optim.SGD.step` with their own
function could make a wrong submission look right. Instead of trusting a snapshot (which a student
could patch too), this looks at where each callable was defined: every Python function reachable
as an attribute of the namespaces below must come from the installed packages or the standard
library, and the builtins the checks use must still be builtins. It records; the runner decides
what a mismatch means.
"""

from __future__ import annotations

import builtins
import os
import types
from collections.abc import Iterator

import torch
import torch.nn
import torch.nn.functional
import torch.optim

# Where genuine code lives: torch's site-packages (torch itself and helpers such as
# typing_extensions that torch decorates with) and the standard library.
_TRUSTED_DIRS: tuple[str, ...] = (
    os.path.dirname(os.path.dirname(os.path.abspath(torch.__file__))),
    os.path.dirname(os.path.abspath(os.__file__)),
)

# The namespaces whose behaviour a verdict relies on.
_NAMESPACES: tuple[tuple[str, object], ...] = (
    ("torch", torch),
    ("torch.Tensor", torch.Tensor),
    ("torch.nn.functional", torch.nn.functional),
    ("torch.nn.Module", torch.nn.Module),
    ("torch.optim.Optimizer", torch.optim.Optimizer),
    ("torch.optim.SGD", torch.optim.SGD),
    ("torch.optim.Adam", torch.optim.Adam),
    ("torch.autograd", torch.autograd),
)


def _python_function(obj: object) -> types.FunctionType | None:
    """The plain Python function behind obj (unwrapping methods and staticmethods), if any."""
    if isinstance(obj, staticmethod | classmethod):
        obj = obj.__func__
    if isinstance(obj, types.MethodType):
        obj = obj.__func__
    return obj if isinstance(obj, types.FunctionType) else None


def _foreign_functions() -> Iterator[str]:
    for label, namespace in _NAMESPACES:
        attrs = vars(namespace) if isinstance(namespace, type) else namespace.__dict__
        for name, value in list(attrs.items()):
            fn = _python_function(value)
            if fn is None:
                continue
            # functools.wraps keeps the wrapped function's name, not its file: look at the code.
            filename = os.path.abspath(fn.__code__.co_filename)
            if not filename.startswith(_TRUSTED_DIRS):
                yield f"{label}.{name}"


# Builtins the checks call. (IPython adds Python-level builtins such as `display`: not these.)
_RELIED_BUILTINS: tuple[str, ...] = (
    "abs", "all", "any", "bool", "callable", "dict", "enumerate", "float", "getattr", "hasattr",
    "id", "int", "isinstance", "issubclass", "iter", "len", "list", "max", "min", "next", "range",
    "round", "set", "sorted", "str", "sum", "tuple", "type", "zip",
)


def _replaced_builtins() -> list[str]:
    # Plain attribute access only: the builtins themselves are what is being checked.
    table = builtins.__dict__
    return [f"builtins.{n}" for n in _RELIED_BUILTINS if table[n].__module__ != "builtins"]


def tampered_names() -> list[str]:
    """Names of torch or builtin callables that were replaced by code from elsewhere."""
    replaced = _replaced_builtins()
    if replaced:  # the scan below relies on these builtins: stop here
        return replaced
    return sorted(set(_foreign_functions()))
