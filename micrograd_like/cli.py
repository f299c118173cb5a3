"""The ``micrograd-like`` command line: symmetry, draw, train.

Every command prints its results to stdout and its problems to stderr, with
exit status 2 for a usage error (bad arguments, a formula that is not allowed)
and 1 for a failure (a file that cannot be written, Graphviz failing). Nothing a
user can type produces a Python traceback.
"""

from __future__ import annotations

import argparse
import contextlib
import math
import os
import subprocess
import sys
from pathlib import Path
from typing import Callable, Sequence, TextIO

from . import symmetry
from .expr import FUNCTIONS
from .nn import INITS

__all__ = ["main"]

PROG = "micrograd-like"


class UsageError(Exception):
    """The command line asks for something impossible: exit status 2."""


class Failure(Exception):
    """The command could not finish for a reason outside the arguments: exit status 1."""


# -- argument types: each raises ArgumentTypeError with the value and the fix ----------------


def _int_at_least(minimum: int) -> Callable[[str], int]:
    def parse(text: str) -> int:
        try:
            value = int(text)
        except ValueError:
            raise argparse.ArgumentTypeError(f"expected a whole number >= {minimum}, got {text!r}") from None
        if value < minimum:
            raise argparse.ArgumentTypeError(f"expected a whole number >= {minimum}, got {value}")
        return value

    return parse


_positive_int = _int_at_least(1)
_non_negative_int = _int_at_least(0)


def _finite_float(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a number, got {text!r}") from None
    if not math.isfinite(value):
        raise argparse.ArgumentTypeError(f"expected a finite number, got {text!r}")
    return value


def _positive_float(text: str) -> float:
    value = _finite_float(text)
    if value <= 0:
        raise argparse.ArgumentTypeError(f"expected a number > 0, got {text!r}")
    return value


def _widths(text: str) -> list[int]:
    try:
        widths = [int(part) for part in text.split(",")]
    except ValueError:
        raise argparse.ArgumentTypeError(
            f"expected comma-separated layer widths such as 16,16, got {text!r}"
        ) from None
    if not widths or min(widths) < 1:
        raise argparse.ArgumentTypeError(f"every layer width must be >= 1, got {text!r}")
    return widths


# -- writing pictures ---------------------------------------------------------------------------


class _Pictures:
    """Writes graphs as .gv always and in a rendered format when Graphviz is there.

    When the ``dot`` program is missing it says so once (with the install hint)
    and carries on with the .gv files, so the command still succeeds.
    """

    def __init__(self, err: TextIO) -> None:
        self.err = err
        self.dot_missing = False

    def write(self, graph, path: Path, fmt: str = "svg") -> list[Path]:
        from . import viz

        written = []
        source = path.with_suffix(".gv")
        try:
            path.parent.mkdir(parents=True, exist_ok=True)
            if fmt != "gv" and not self.dot_missing:
                try:
                    viz.render(graph, path.with_suffix(f".{fmt}"), format=fmt)
                    written.append(path.with_suffix(f".{fmt}"))
                except viz.GraphvizNotFoundError:
                    self.dot_missing = True
                    print(f"{PROG}: Graphviz's 'dot' program is not on your PATH, so only the DOT "
                          f"source (.gv) of each picture is written.\n{viz.INSTALL_HINT}", file=self.err)
                except subprocess.CalledProcessError as e:  # dot itself failed
                    raise Failure(f"Graphviz could not render {path}: {(e.stderr or b'').strip()!r}") from None
            # After rendering, which cleans up its own intermediate .gv file.
            source.write_text(graph.source, encoding="utf-8")
        except OSError as e:
            raise Failure(f"cannot write {e.filename or path}: {e.strerror or e}") from None
        written.insert(0, source)
        return written


# -- symmetry ---------------------------------------------------------------------------------------

_INITS = ("constant", *INITS)


def _cmd_symmetry(args: argparse.Namespace, out: TextIO, err: TextIO) -> int:
    from . import viz
    from .nn import find_symmetric_neurons

    steps, lr = args.steps, args.lr
    constant = (f"constant {args.value:g}", "constant", lambda: symmetry.build_network("constant", value=args.value))
    scheme = args.init if args.init != "constant" else "uniform"
    random_start = (
        f"random ({scheme}, seed {args.seed})",
        "random",
        lambda: symmetry.build_network(scheme, seed=args.seed),
    )
    # The chosen start first, always next to one of the other kind: constant vs random.
    starts = (constant, random_start) if args.init == "constant" else (random_start, constant)

    pictures = _Pictures(err)
    written: list[Path] = []
    results, before = [], []
    for name, tag, build in starts:
        model = build()
        before.append(find_symmetric_neurons(model))
        if not results:  # the op-level graph of the chosen start, after its first backward
            loss = symmetry.cost(model)
            loss.backward()
            written += pictures.write(viz.draw_dot(loss, max_nodes=5_000), args.out / "graph_first_backward.svg")
            model.zero_grad()
        written += pictures.write(viz.draw_network(model), args.out / f"network_{tag}_before.svg")
        results.append(symmetry.run(name, model, steps=steps, lr=lr))
        written += pictures.write(viz.draw_network(model), args.out / f"network_{tag}_after.svg")

    print(symmetry.format_table(tuple(results), steps=steps, lr=lr), file=out)
    print("", file=out)
    for result, groups in zip(results, before):
        print(f"interchangeable neurons, {result.name}:", file=out)
        print(f"  before training: {_groups(groups)}", file=out)
        print(f"  after training:  {_groups(result.symmetric)}", file=out)
    print("", file=out)
    print(f"wrote {len(written)} files to {args.out}: " + ", ".join(p.name for p in written), file=out)
    return 0


def _groups(groups) -> str:
    if not groups:
        return "none"
    return "; ".join(f"layer {layer}: neurons {list(members)}" for layer, members in groups)


# -- draw --------------------------------------------------------------------------------------------

_FORMATS = ("svg", "png", "pdf", "gv")


def _cmd_draw(args: argparse.Namespace, out: TextIO, err: TextIO) -> int:
    from . import viz
    from .expr import ExpressionError, parse_assignment, parse_expression

    variables: dict[str, float] = {}
    try:
        for text in args.assignments:
            name, value = parse_assignment(text)
            if name in variables:
                raise UsageError(f"{name} is given twice; give each variable one value")
            variables[name] = value
        root, leaves = parse_expression(args.expression, variables)
    except ExpressionError as e:
        raise UsageError(str(e)) from None

    fmt = args.format
    path = Path("micrograd-graphs") if args.out is None else Path(args.out)
    if args.out is None or args.out.endswith(("/", os.sep)) or path.is_dir():
        path = path / f"expression.{fmt or 'svg'}"  # a folder: the file goes inside it
    suffix = path.suffix.lstrip(".").lower()
    if fmt is None:
        fmt = suffix if suffix in _FORMATS else "svg"
    elif suffix and suffix in _FORMATS and suffix != fmt:
        raise UsageError(f"--out {path} ends in .{suffix} but --format is {fmt}; make them agree")
    if path.suffix.lstrip(".").lower() != fmt:
        path = path.with_name(path.name + f".{fmt}")

    root.label = root.label or "out"
    try:
        root.backward()
    except (ValueError, ZeroDivisionError, OverflowError) as e:  # e.g. d/dx sqrt(x) at 0
        raise UsageError(f"cannot differentiate the formula at these values: {e}") from None
    print(f"{args.expression.strip()} = {root.data:.6g}", file=out)
    width = max([len(n) for n in leaves] + [8])
    print(f"{'variable':<{width}} {'value':>12} {'gradient':>14}", file=out)
    for name, leaf in leaves.items():
        print(f"{name:<{width}} {leaf.data:>12.6g} {leaf.grad:>14.6g}", file=out)

    try:
        graph = viz.draw_dot(root, max_nodes=args.max_nodes)
    except ValueError as e:
        raise UsageError(str(e)) from None
    pictures = _Pictures(err)
    written = pictures.write(graph, path, fmt)
    if pictures.dot_missing:  # asked for a picture, got only its source: a failure
        raise Failure(f"could not render {path}: Graphviz is missing (the DOT source is in {written[0]})")
    print("wrote " + ", ".join(str(p) for p in written), file=out)
    return 0


# -- train -----------------------------------------------------------------------------------------


def _cmd_train(args: argparse.Namespace, out: TextIO, err: TextIO) -> int:
    from tqdm import tqdm

    from . import moons, viz
    from .datasets import make_moons
    from .nn import MLP

    X, y = make_moons(100, noise=0.1, seed=args.seed)
    model = MLP(2, [*args.hidden, 1], seed=args.seed)
    # tqdm draws on stderr and only when it is a terminal (disable=None), so
    # piped output stays clean.
    bar = tqdm(moons.train(model, X, y, steps=args.steps, lr=args.lr), total=args.steps, desc="training",
               unit="step", file=err, disable=None, leave=False)
    for step in bar:
        bar.set_postfix(loss=f"{step.loss:.4f}", accuracy=f"{step.accuracy:.0%}", refresh=False)
    bar.close()
    loss, accuracy = moons.loss_and_accuracy(model, X, y)
    print(f"two moons, 100 points, MLP(2, {[*args.hidden, 1]}), {args.steps} steps of SGD from lr {args.lr:g}", file=out)
    print(f"final loss {loss.data:.6f}, training accuracy {accuracy:.0%}", file=out)

    written = _Pictures(err).write(viz.draw_network(model), args.out / "moons_network.svg")
    try:
        written.append(_plot_boundary(model, X, y, args.out / "moons_boundary.png"))
    except ModuleNotFoundError:
        print(f"{PROG}: matplotlib is not installed, so no decision-boundary picture; "
              "pip install 'micrograd-like[plot]' for one", file=err)
    print(f"wrote {len(written)} files to {args.out}: " + ", ".join(p.name for p in written), file=out)
    return 0


def _plot_boundary(model, X, y, path: Path) -> Path:
    """Colour the plane by the model's decision and put the points on top (needs matplotlib)."""
    import matplotlib

    matplotlib.use("Agg")  # files only, never a window
    import matplotlib.pyplot as plt

    xs = [p[0] for p in X]
    ys = [p[1] for p in X]
    n = 60
    x0, x1 = min(xs) - 0.5, max(xs) + 0.5
    y0, y1 = min(ys) - 0.5, max(ys) + 0.5
    gx = [x0 + (x1 - x0) * i / (n - 1) for i in range(n)]
    gy = [y0 + (y1 - y0) * j / (n - 1) for j in range(n)]
    grid = [[1.0 if model([a, b]).data > 0 else -1.0 for a in gx] for b in gy]
    fig, ax = plt.subplots(figsize=(5, 4))
    ax.contourf(gx, gy, grid, levels=[-2, 0, 2], colors=["#EE8866", "#77AADD"], alpha=0.4)
    ax.scatter(xs, ys, c=["#77AADD" if label > 0 else "#EE8866" for label in y], edgecolors="black", s=25)
    ax.set_title("two moons: decision boundary after training")
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        fig.savefig(path, dpi=100, bbox_inches="tight")
    except OSError as e:
        raise Failure(f"cannot write {path}: {e.strerror or e}") from None
    finally:
        plt.close(fig)
    return path


# -- the parser ------------------------------------------------------------------------------------


def _parser() -> argparse.ArgumentParser:
    fmt = argparse.RawDescriptionHelpFormatter
    parser = argparse.ArgumentParser(
        prog=PROG,
        description="Learn and debug backpropagation one number at a time.",
        epilog=(
            "examples:\n"
            f"  {PROG} symmetry\n"
            f"  {PROG} draw \"tanh(a*b + c)\" a=2 b=-3 c=10\n"
            f"  {PROG} train moons --steps 100\n"
            f"\nRun '{PROG} COMMAND --help' for a command's options."
        ),
        formatter_class=fmt,
    )
    commands = parser.add_subparsers(dest="command", metavar="COMMAND", required=True)

    sym = commands.add_parser(
        "symmetry",
        help="why hidden neurons that start equal stay identical (the motivating example)",
        description=(
            "Build the 2-3-3-2 sigmoid network with every weight and bias equal, train it with plain\n"
            "SGD on two observations next to a seeded random start, and show that the hidden\n"
            "neurons of the equal start stay interchangeable: identical gradients, forever."
        ),
        epilog=(
            "examples:\n"
            f"  {PROG} symmetry\n"
            f"  {PROG} symmetry --value 0.5 --steps 5000 --out graphs\n"
            f"  {PROG} symmetry --init xavier --seed 3"
        ),
        formatter_class=fmt,
    )
    sym.add_argument("--init", choices=_INITS, default="constant", help="initialisation of the first run (default: constant)")
    sym.add_argument("--value", type=_finite_float, default=1.0, help="every weight and bias, for --init constant (default: 1.0)")
    sym.add_argument("--steps", type=_non_negative_int, default=symmetry.STEPS,
                     help=f"SGD steps for each run (default: {symmetry.STEPS})")
    sym.add_argument("--lr", type=_positive_float, default=symmetry.LEARNING_RATE,
                     help=f"learning rate (default: {symmetry.LEARNING_RATE:g})")
    sym.add_argument("--seed", type=int, default=0, help="seed of the random starts (default: 0)")
    sym.add_argument("--out", type=Path, default=Path("micrograd-graphs"), help="folder for the pictures (default: ./micrograd-graphs)")
    sym.set_defaults(handler=_cmd_symmetry)

    draw = commands.add_parser(
        "draw",
        help="backpropagate through a formula and draw its graph",
        description=(
            "Parse a formula (numbers, names, + - * / **, unary minus, and the functions\n"
            "  " + " ".join(FUNCTIONS) + "),\n"
            "backpropagate, print every variable's value and gradient, and draw the graph with\n"
            "identical gradients coloured alike. The formula is parsed, never eval'd."
        ),
        epilog=(
            "examples:\n"
            f"  {PROG} draw \"tanh(a*b + c)\" a=2 b=-3 c=10\n"
            f"  {PROG} draw \"x*x + x\" x=3 --out square.png\n"
            f"  {PROG} draw -- \"-x * exp(x)\" x=1     ('--' first when the formula starts with '-')"
        ),
        formatter_class=fmt,
    )
    draw.add_argument("expression", help="the formula, e.g. \"tanh(a*b + c)\"")
    draw.add_argument("assignments", nargs="*", metavar="NAME=VALUE", help="a value for every variable")
    draw.add_argument("--out", default=None, help="output file, or a folder for expression.FORMAT (default: micrograd-graphs/)")
    draw.add_argument("--format", choices=_FORMATS, default=None, help="svg, png, pdf or gv (default: from --out, else svg)")
    draw.add_argument("--max-nodes", type=_positive_int, default=500, help="refuse larger graphs (default: 500)")
    draw.set_defaults(handler=_cmd_draw)

    train = commands.add_parser(
        "train",
        help="train micrograd's two-moons demo",
        description=(
            "Train micrograd's two-moons demo (100 points, relu MLP, SVM hinge loss with L2,\n"
            "full-batch SGD with a decaying learning rate) with a progress bar, then print the\n"
            "loss and accuracy and draw the network (and the decision boundary with matplotlib)."
        ),
        epilog=(
            "examples:\n"
            f"  {PROG} train moons\n"
            f"  {PROG} train moons --steps 50 --hidden 8,8 --lr 0.5 --seed 1 --out runs"
        ),
        formatter_class=fmt,
    )
    train.add_argument("dataset", choices=("moons",), help="the data set (only moons for now)")
    train.add_argument("--steps", type=_non_negative_int, default=100, help="SGD steps (default: 100)")
    train.add_argument("--hidden", type=_widths, default=[16, 16], help="hidden layer widths (default: 16,16)")
    train.add_argument("--lr", type=_positive_float, default=1.0, help="starting learning rate (default: 1.0)")
    train.add_argument("--seed", type=int, default=0, help="seed of the data and the weights (default: 0)")
    train.add_argument("--out", type=Path, default=Path("micrograd-graphs"), help="folder for the pictures (default: ./micrograd-graphs)")
    train.set_defaults(handler=_cmd_train)
    return parser


def main(argv: Sequence[str] | None = None, *, out: TextIO | None = None, err: TextIO | None = None) -> int:
    """Run the command line and return its exit status.

    Args:
        argv: The arguments (default: ``sys.argv[1:]``).
        out: Where results go (default: stdout).
        err: Where problems go (default: stderr).
    """
    out = out or sys.stdout
    err = err or sys.stderr
    parser = _parser()
    try:
        # argparse prints --help and usage errors itself: send them to our streams.
        with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
            args = parser.parse_args(argv)
    except SystemExit as e:  # a usage error (status 2) or --help (status 0)
        return int(e.code or 0)
    try:
        return args.handler(args, out, err)
    except UsageError as e:
        print(f"{PROG} {args.command}: error: {e}", file=err)
        return 2
    except Failure as e:
        print(f"{PROG} {args.command}: failed: {e}", file=err)
        return 1
    except KeyboardInterrupt:
        print(f"{PROG} {args.command}: interrupted", file=err)
        return 130
    except BrokenPipeError:  # e.g. piped into `head`: the reader left, nothing to report
        if out is sys.stdout:
            # Point stdout at devnull so that Python's final flush does not fail again.
            os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return 1
