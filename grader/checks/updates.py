"""Recording an update step written by hand: which gradients it read before anything wrote to
them, and which torch optimizers took a step while it ran.

A TorchDispatchMode sees every aten operation with its schema, so a read of a gradient's storage
(an argument without alias info) is told apart from an in-place write (`zero_()`, `-=`) and from
a view or `detach()` (aliases). Clearing a gradient before reading it shows up as a write first;
`p.grad = None` shows up as no read at all. The recorder never judges: tasks/nn_module.py turns
what it saw into findings.
"""

from __future__ import annotations

from typing import Any

import torch
from torch import nn
from torch.optim.optimizer import register_optimizer_step_pre_hook
from torch.utils._python_dispatch import TorchDispatchMode  # how torch exports the mode class
from torch.utils._pytree import tree_flatten  # torch has no public pytree module yet


def storages(value: Any) -> set[int]:
    """The storage addresses of every tensor in `value` (nested lists and tuples included)."""
    return {t.untyped_storage().data_ptr() for t in tree_flatten(value)[0]
            if isinstance(t, torch.Tensor)}


class UpdateWatch(TorchDispatchMode):
    """Records, while the student's update runs, whether an operation read a gradient's values
    before anything wrote to that gradient (`used`), and which torch optimizers took a step
    (`stepped`). Every operation goes through unchanged; the hook is removed when the run ends,
    even when it raises."""

    def __init__(self, grads: list[torch.Tensor | None]) -> None:
        super().__init__()
        self.grads = set().union(*(storages(g) for g in grads if g is not None))
        self.written: set[int] = set()
        self.used = False
        self.stepped: list[str] = []

    def __torch_dispatch__(self, func, types, args=(), kwargs=None):
        kwargs = kwargs or {}
        schema = getattr(func, "_schema", None)
        for i, arg in enumerate(schema.arguments if schema is not None else ()):
            touched = storages(args[i] if i < len(args) else kwargs.get(arg.name)) & self.grads
            if arg.alias_info is None:  # read (a view or detach only aliases it)
                self.used = self.used or bool(touched - self.written)
            elif arg.alias_info.is_write:  # written in place, e.g. zero_()
                self.written |= touched
        return func(*args, **kwargs)

    def run(self, fn: Any, model: nn.Module, lr: float) -> None:
        """Call fn(model, lr) under the watch."""
        def record(optimizer: torch.optim.Optimizer, *_: Any) -> None:
            name = f"torch.optim.{type(optimizer).__name__}"
            if name not in self.stepped:
                self.stepped.append(name)

        handle = register_optimizer_step_pre_hook(record)
        try:
            with self:
                fn(model, lr)
        finally:
            handle.remove()
