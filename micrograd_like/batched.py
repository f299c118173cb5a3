"""A compiled function run over arrays of samples, on NumPy or PyTorch.

``compiled.vectorize()`` and ``compiled.to_torch()`` (see :class:`~micrograd_like.compiled.Compiled`)
take the compiled function's recording and turn each recorded op into one array
operation, so a batch costs one pass over the recording instead of one replay per
sample. Every number argument becomes an array with one number per sample (a 2-D
``(samples, k)`` array stands for a list of ``k`` numbers; a plain number is the same
for every sample); the captured Values (a model's parameters) stay shared.

* NumPy: returns the per-sample outputs and adds each captured Value's gradient,
  *summed* over the samples, into its ``.grad`` (divide the loss by the batch size for
  a mean). Contributions to a shared value are summed over the batch where they
  arise (a dot product for ``g * x``). A sample whose output or gradient is not finite
  (an op outside its domain) raises ``ValueError`` naming the sample, and no ``.grad``
  changes.
* PyTorch: only the forward runs here. Each captured Value gets a torch leaf tensor
  (``.parameters()``), so ``loss.sum().backward()`` and ``torch.optim`` work;
  ``write_back()`` copies the trained numbers into the Values.

Each op's array form comes from the op registry (see ``_array_forms``; give your own
op one with :func:`set_array_form`). The recording is the compiled function's own,
made from the first sample, so Python control flow on ``.data`` is frozen as in
``compile``. numpy and torch are imported only when a batch function is made.
"""

from __future__ import annotations

import builtins
from collections.abc import Callable
from typing import Any

from . import compiled as _compiled
from ._array_forms import forward_function, set_array_form, vjp_function
from ._array_linear import Group, linear_groups
from ._checks import describe
from ._ops import ADD_OP, MUL_OP
from ._templates import ATOM, Form, OpTemplate
from .engine import Value

__all__ = ["set_array_form", "NumpyBatch", "TorchBatch"]


# -- arguments: arrays of samples --------------------------------------------------------


def _samples(args: tuple, is_array: Callable[[Any], bool], name: str, named: Callable) -> tuple[tuple, tuple]:
    """(args with the first sample's numbers, (one column per number, the number of samples));
    ``named`` turns argument paths into the names the messages use."""
    columns: list = []
    sizes: dict[int, str] = {}

    def first(x: Any, path: str) -> Any:  # arguments are shallow data: depth is the nesting depth
        if isinstance(x, (list, tuple)):
            return type(x)(first(e, f"{path}[{i}]") for i, e in enumerate(x))
        if not is_array(x) or x.ndim == 0:
            columns.append(x)  # a number shared by every sample (the recording checks its type)
            return x if not is_array(x) else float(x)
        if x.ndim > 2 or len(x) == 0:
            raise ValueError(
                f"vectorized {name}: {named([path])[0]} has shape {tuple(x.shape)}; pass a 1-D array with one number per "
                "sample, or a 2-D (samples, k) array for a list of k numbers"
            )
        sizes.setdefault(len(x), path)
        if x.ndim == 1:
            columns.append(x)
            return float(x[0])
        columns.extend(x[:, j] for j in range(x.shape[1]))
        return [float(v) for v in x[0]]

    out = tuple(first(a, f"arg{i}") for i, a in enumerate(args))
    if len(sizes) != 1:
        found = ", ".join(f"{n} at {path}" for n, path in zip(sizes, named(list(sizes.values())))) or "none"
        raise ValueError(
            f"vectorized {name} needs array arguments that all hold the same number of samples, got {found}; "
            "pass one row per sample in every array"
        )
    return out, (columns, next(iter(sizes)))


# -- one recording as array code ---------------------------------------------------------


def _flows(plan: Any) -> tuple[list[bool], list[bool]]:
    """(varies: the slot differs between samples, depends: it depends on a captured Value)."""
    n = len(plan.ops)
    varies = [slot in plan.inputs for slot in range(n)]
    captured = {slot for slot, _ in plan.captured}
    depends = [slot in captured for slot in range(n)]
    for slot, op in enumerate(plan.ops):
        if op is not None:
            a, b = plan.a[slot], plan.b[slot]
            varies[slot] = varies[a] or (b >= 0 and varies[b])
            depends[slot] = depends[a] or (b >= 0 and depends[b])
    return varies, depends


def _product_with_g(form: Form) -> str | None:
    """``"a"`` or ``"b"`` when the contribution is exactly ``g * a`` (or ``a * g``, ``g * b``...)."""
    parts = form.parts
    if len(parts) != 3 or parts[1] != " * " or isinstance(parts[0], str) or isinstance(parts[2], str):
        return None
    names = {parts[0][0], parts[2][0]}
    return next((x for x in "ab" if names == {"g", x}), None)


class _Program:
    """One recording as a generated function ``run(xs, cs, ks, seed)`` over arrays: the forward,
    then (with ``backward``) the engine's backward order with contributions to shared
    slots summed over the samples. Returns (output, extra outputs, captured gradients)."""

    def __init__(self, rec: Any, xp: Any, backward: bool, helpers: dict[str, Callable]) -> None:
        self.rec = rec
        plan = rec.plan
        self.varies, self.depends = _flows(plan)
        self.namespace: dict[str, Any] = {"__builtins__": builtins, "_sum": xp.sum, "_dot": getattr(xp, "dot", None)}
        self.namespace.update(helpers)  # _stack, _matrix, _column: the linear layers' arrays
        groups = linear_groups(plan, self.varies, ADD_OP, MUL_OP)
        self.groups = {g.at: g for g in groups if len({self.depends[m.out] for m in g.members}) == 1}
        self.inner = {slot for g in self.groups.values() for m in g.members for slot in m.inner}
        self._forms: dict[int, tuple] = {}
        self._xp = xp
        self._cache: dict[str, Any] = {}
        lines = self._leaf_lines(plan) + self._forward_lines(plan, self._kept(plan, backward))
        grads = ["0.0"] * len(plan.captured)
        if backward:
            backward_lines, grads = self._backward_lines(plan)
            lines += backward_lines
        root = len(plan.ops) - 1
        aux = "".join(f"v{slot}, " for slot in plan.aux)
        lines.append(f"return v{root}, ({aux}), ({''.join(g + ', ' for g in grads)})")
        source = "def run(xs, cs, ks, seed):\n    " + "\n    ".join(lines) + "\n"
        exec(builtins.compile(source, "<vectorized recording>", "exec"), self.namespace)  # noqa: S102
        self.run = self.namespace["run"]
        self.constants = list(plan.constants.values())
        self.ks: list = []  # the constants as the backend's numbers
        del self._forms, self._cache

    def _leaf_lines(self, plan: Any) -> list[str]:
        lines = [f"v{slot} = xs[{index}]" for slot, index in plan.inputs.items()]
        lines += [f"v{slot} = cs[{k}]" for k, (slot, _) in enumerate(plan.captured)]
        lines += [f"v{slot} = ks[{k}]" for k, slot in enumerate(plan.constants)]
        return lines

    def _form(self, op: Any) -> tuple:
        """(forward, vjp) of ``op`` on arrays, once per op (errors name the op)."""
        hit = self._forms.get(id(op))
        if hit is None:
            k = len(self._forms)
            forward: Any = forward_function(op, self._xp, self._cache)
            if not isinstance(forward, Form):
                self.namespace[f"F{k}"], forward = forward, f"F{k}"
            hit = self._forms[id(op)] = (k, forward, None)
        return hit

    def _vjp(self, op: Any) -> Any:
        k, forward, vjp = self._form(op)
        if vjp is None:
            vjp = vjp_function(op, self._xp, self._cache)
            if not isinstance(vjp, OpTemplate):
                self.namespace[f"D{k}"], vjp = vjp, f"D{k}"
            self._forms[id(op)] = (k, forward, vjp)
        return vjp

    def _kept(self, plan: Any, backward: bool) -> set[int]:
        """The slots read after the forward: outputs, and what the backward reads."""
        keep = {len(plan.ops) - 1, *plan.aux}
        keep.update(x for g in self.groups.values() for x in g.xs)
        for slot, op in enumerate(plan.ops):
            if not (backward and op is not None and self.depends[slot]) or slot in self.inner:
                continue
            vjp = self._vjp(op)
            reads = {"o", "a", "b"} if isinstance(vjp, str) else vjp.reads
            keep.update(x for name, x in (("o", slot), ("a", plan.a[slot]), ("b", plan.b[slot])) if name in reads)
        return keep

    def _forward_lines(self, plan: Any, keep: set[int]) -> list[str]:
        """One line per op; a value no later line reads is deleted after its last use,
        so a batch holds few arrays at a time (fresh memory costs page faults)."""
        last = {}
        for slot in range(len(plan.ops)):
            last[plan.a[slot]] = last[plan.b[slot]] = slot
        lines = []
        for slot, op in enumerate(plan.ops):
            if slot in self.groups:
                lines += self._group_forward(self.groups[slot])
            if op is None or slot in self.inner:
                continue
            a, b = plan.a[slot], plan.b[slot]
            names = [f"v{a}"] + ([f"v{b}"] if b >= 0 else [])
            _, forward, _ = self._form(op)
            if isinstance(forward, Form):
                text = forward.fill({"a": (names[0], ATOM), "b": (names[-1], ATOM)})[0]
            else:
                text = f"{forward}({', '.join(names)})"
            lines.append(f"v{slot} = {text}")
            done = [x for x in {a, b} if x >= 0 and last[x] == slot and x not in keep]
            if done:
                lines.append("del " + ", ".join(f"v{x}" for x in done))
        return lines

    def _backward_lines(self, plan: Any) -> tuple[list[str], list[str]]:
        root = len(plan.ops) - 1
        lines: list[str] = []
        owned: dict[int, bool] = {}  # slot -> its gradient so far is an array no one else holds
        if self.depends[root]:
            lines.append(f"g{root} = seed")
            owned[root] = False
        for slot in range(root, -1, -1):
            op = plan.ops[slot]
            if slot in self.groups and self.depends[slot]:
                lines += self._group_backward(self.groups[slot], owned)
            if op is None or not self.depends[slot] or slot in self.inner:
                continue
            a, b = plan.a[slot], plan.b[slot]
            vjp = self._vjp(op)
            env = {"g": (f"g{slot}", ATOM), "o": (f"v{slot}", ATOM), "a": (f"v{a}", ATOM), "b": (f"v{b}", ATOM)}
            if isinstance(vjp, str):
                inputs = f"v{a}" + (f", v{b}" if b >= 0 else "")
                lines.append(f"d = {vjp}(g{slot}, v{slot}, {inputs})")
            for i, target in ((1, b), (0, a)) if b >= 0 else ((0, a),):
                if not self.depends[target]:
                    continue
                if not isinstance(vjp, str):
                    form = vjp.vjp[i]
                    text, plain, other = form.fill(env)[0], form.prec == 0, _product_with_g(form)  # bare: not owned
                else:
                    text, plain, other = f"d[{i}]", False, None
                if self.varies[slot] and not self.varies[target]:  # a shared slot: sum over the batch now
                    o = {"a": a, "b": b}.get(other or "")
                    text = f"_dot(g{slot}, v{o})" if o is not None and self.varies[o] and self._dot else f"_sum({text})"
                    plain = False
                lines.append(self._accumulate(target, text, plain, owned))
            lines.append(f"del g{slot}")
        grads = [f"g{slot}" if slot in owned else "0.0" for slot, _ in plan.captured]
        return lines, grads

    def _group_forward(self, group: Group) -> list[str]:
        """``Z = W @ X (+ bias column)``; each neuron's output is a row of Z."""
        k, members = group.at, group.members
        rows = ", ".join("(" + "".join(f"v{w}, " for w in m.weights) + ")" for m in members)
        lines = [f"X{k} = _stack(({''.join(f'v{x}, ' for x in group.xs)}))", f"W{k} = _matrix(({rows},))"]
        if all(m.bias >= 0 for m in members):
            lines.append(f"Z{k} = W{k} @ X{k} + _column(({''.join(f'v{m.bias}, ' for m in members)}))")
            outs = [f"Z{k}[{j}]" for j in range(len(members))]
        else:
            lines.append(f"Z{k} = W{k} @ X{k}")
            outs = [f"Z{k}[{j}]" + (f" + v{m.bias}" if m.bias >= 0 else "") for j, m in enumerate(members)]
        lines += [f"v{m.out} = {out}" for m, out in zip(members, outs)]
        return lines

    def _group_backward(self, group: Group, owned: dict[int, bool]) -> list[str]:
        """The layer's backward as matrix products: ``W.T @ G`` to the inputs, ``G @ X.T`` to
        the weights, row sums to the biases (each a sum over the batch)."""
        k, members, depends = group.at, group.members, self.depends
        lines = [f"G{k} = _stack(({''.join(f'g{m.out}, ' for m in members)}))"]
        if any(depends[x] for x in group.xs):
            lines.append(f"DX{k} = W{k}.T @ G{k}")
            lines += [self._accumulate(x, f"DX{k}[{i}]", False, owned) for i, x in enumerate(group.xs) if depends[x]]
        if any(depends[w] for m in members for w in m.weights):
            lines.append(f"DW{k} = (G{k} @ X{k}.T).tolist()")
            lines += [
                self._accumulate(w, f"DW{k}[{j}][{i}]", False, owned)
                for j, m in enumerate(members)
                for i, w in enumerate(m.weights)
                if depends[w]
            ]
        if any(m.bias >= 0 and depends[m.bias] for m in members):
            lines.append(f"DB{k} = G{k}.sum(1).tolist()")
            lines += [
                self._accumulate(m.bias, f"DB{k}[{j}]", False, owned)
                for j, m in enumerate(members)
                if m.bias >= 0 and depends[m.bias]
            ]
        lines.append(f"del G{k}, " + ", ".join(f"g{m.out}" for m in members))
        return lines

    @property
    def _dot(self) -> bool:
        return self.namespace["_dot"] is not None

    @staticmethod
    def _accumulate(target: int, text: str, plain: bool, owned: dict[int, bool]) -> str:
        if target not in owned:
            owned[target] = not plain
            return f"g{target} = {text}"
        if owned[target]:
            return f"g{target} += {text}"
        owned[target] = True
        return f"g{target} = g{target} + {text}"


def _program(programs: dict, rec: Any, make: Callable[[], _Program], live: Any) -> _Program:
    """The program of ``rec`` from ``programs`` (by id), made once; the programs of
    recordings no longer in ``live`` (the compiled function's cache) are dropped."""
    program = programs.get(id(rec))
    if program is None or program.rec is not rec:
        kept = {id(r) for r in live}
        for key in [k for k in programs if k not in kept]:
            del programs[key]
        program = programs[id(rec)] = make()
    return program


# -- the two backends --------------------------------------------------------------------


class NumpyBatch:
    """``compiled.vectorize()``: call it with NumPy arrays of samples; it returns the
    per-sample outputs (an array; with extra outputs, the pair) and adds each captured
    Value's gradient, summed over the samples, into its ``.grad``."""

    def __init__(self, fn: _compiled.Compiled) -> None:
        import numpy

        self.np, self.fn = numpy, fn
        self._programs: dict[int, _Program] = {}
        self.__name__ = f"vectorized {fn.__name__}"

    def __call__(self, *args: Any, **kwargs: Any) -> Any:
        np = self.np
        is_array = lambda x: isinstance(x, np.ndarray)  # noqa: E731
        rec, _, _, _, (columns, n) = self.fn._lookup(
            args, kwargs, lambda a, named: _samples(a, is_array, self.fn.__name__, named)
        )
        program = _program(self._programs, rec, lambda: self._make(rec), self.fn._cache.values())
        xs = [np.broadcast_to(np.asarray(c, dtype=np.float64), (n,)) for c in columns]
        cs = [np.float64(v.data) for v in rec.captured]
        seed = np.ones(n) if program.varies[-1] else np.float64(n)
        with np.errstate(all="ignore"):  # checked below, sample by sample
            out, aux, grads = program.run(xs, cs, program.ks, seed)
        out = np.broadcast_to(out, (n,)).copy()
        totals = [float(g) for g in grads]
        _check_finite(self, rec, out, totals, columns)
        _compiled.add_into_grads(rec.captured, totals)
        if rec.plan.aux_shape is None:
            return out
        return out, _compiled.fill_shape(rec.plan.aux_shape, tuple(np.broadcast_to(x, (n,)).copy() for x in aux))

    def _make(self, rec: Any) -> _Program:
        np = self.np
        helpers = {
            "_stack": np.stack,
            "_matrix": lambda rows: np.array(rows, dtype=np.float64),
            "_column": lambda items: np.array(items, dtype=np.float64)[:, None],
        }
        program = _Program(rec, np, backward=True, helpers=helpers)
        program.ks = [self.np.float64(c) for c in program.constants]
        return program


def _check_finite(batch: NumpyBatch, rec: Any, out: Any, totals: list[float], columns: list) -> None:
    """Refuse a batch with a sample whose output or gradient is not finite (nothing changed yet)."""
    np = batch.np
    bad = np.flatnonzero(~np.isfinite(out))
    if not len(bad) and all(np.isfinite(totals)):
        return
    where = (
        f"sample {int(bad[0])} gives {float(out[bad[0]])!r}"
        if len(bad)
        else "a gradient summed over the batch is not finite"
    )
    raise ValueError(
        f"{batch.__name__}: {where} (an op outside its domain, such as log of a number <= 0, or an overflow); "
        "no .grad was changed; call the compiled function on that sample alone for the engine's error naming the op"
    )


def _torch_helpers(torch: Any) -> dict[str, Callable]:
    """The linear layers' arrays from 0-d tensors (leaves, constants), differentiably."""
    return {
        "_stack": torch.stack,
        "_matrix": lambda rows: torch.stack([torch.stack(row) for row in rows]),
        "_column": lambda items: torch.stack(items)[:, None],
    }


class TorchBatch:
    """``compiled.to_torch()``: call it with torch tensors of samples; it returns the
    per-sample outputs as a tensor whose graph reaches one leaf tensor per captured Value."""

    def __init__(self, fn: _compiled.Compiled, dtype: Any = None, device: Any = None) -> None:
        import torch

        self.torch, self.fn = torch, fn
        self.dtype = torch.float64 if dtype is None else dtype
        self.device = device
        self._leaves: dict[int, tuple[Any, Any]] = {}  # id(Value) -> (Value, its leaf tensor)
        self._programs: dict[int, _Program] = {}
        self.__name__ = f"torch {fn.__name__}"

    def parameters(self, values: Any = None) -> list:
        """The leaf tensors of ``values`` (default: of every captured Value seen so far), for torch.optim.

        Pass ``model.parameters()`` to have them before the first call, in the model's order.
        """
        if values is None:
            return [leaf for _, leaf in self._leaves.values()]
        return [self.leaf(v) for v in values]

    def leaf(self, value: Any) -> Any:
        """The torch leaf tensor standing for the Value ``value`` (made from its ``.data`` once)."""
        hit = self._leaves.get(id(value))
        if hit is None or hit[0] is not value:
            if not isinstance(value, Value):
                raise TypeError(f"{self.__name__}.leaf needs a Value (a captured parameter), got {describe(value)}")
            tensor = self.torch.tensor(value.data, dtype=self.dtype, device=self.device, requires_grad=True)
            hit = self._leaves[id(value)] = (value, tensor)
        return hit[1]

    def write_back(self) -> None:
        """Copy each leaf tensor's number into its Value's ``.data`` (after training with torch)."""
        for value, tensor in self._leaves.values():
            value.data = float(tensor.detach().cpu().item())

    def __call__(self, *args: Any, **kwargs: Any) -> Any:
        torch = self.torch
        is_array = lambda x: isinstance(x, torch.Tensor)  # noqa: E731
        rec, _, _, _, (columns, n) = self.fn._lookup(
            args, kwargs, lambda a, named: _samples(a, is_array, self.fn.__name__, named)
        )
        program = _program(
            self._programs, rec, lambda: _Program(rec, torch, False, _torch_helpers(torch)), self.fn._cache.values()
        )
        if self.device is None:  # the leaf tensors live where the first call's samples are
            self.device = next(c.device for c in columns if is_array(c))
        device = self.device
        tensor = lambda c: torch.as_tensor(c, dtype=self.dtype, device=device)  # noqa: E731
        out, aux, _ = program.run(
            [tensor(c).expand(n) for c in columns],
            [self.leaf(v) for v in rec.captured],
            [tensor(c) for c in program.constants],
            None,
        )
        out = out.expand(n)
        if rec.plan.aux_shape is None:
            return out
        return out, _compiled.fill_shape(rec.plan.aux_shape, tuple(x.expand(n) for x in aux))
