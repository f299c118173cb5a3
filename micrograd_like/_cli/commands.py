"""The commands: each is one ``add_*`` function that declares its options and its handler.

A handler takes ``(args, out, err)``, prints results to ``out``, and raises
``UsageError`` (exit 2) or ``Failure`` (exit 1); OSErrors become exit 1 in ``app``.
To add a command, write ``add_<name>(commands)`` and list it in ``COMMANDS``.
"""

from __future__ import annotations

import argparse
from collections.abc import Callable
from pathlib import Path
from typing import Any, TextIO

from .. import moons, symmetry
from ..ledger import ROOT_NAME
from ..nn import INITS
from . import args as types
from .console import PROG, Failure, UsageError
from .files import DEFAULT_FOLDER, Pictures, check_folder, formula_stem, shown

_Pictures = Pictures
_FORMATTER = argparse.RawDescriptionHelpFormatter
_FOLDER_HELP = f"folder for the pictures (default: ./{DEFAULT_FOLDER})"
_EAGER_HELP = (
    "build the graph and call backward() at every step instead of replaying a recorded step "
    "(ml.compile); slower, same numbers bit for bit"
)


def _command(commands: Any, name: str, *, help: str, description: str, examples: list[str]) -> argparse.ArgumentParser:
    epilog = "examples:\n" + "\n".join(f"  {PROG} {name} {example}".rstrip() for example in examples)
    return commands.add_parser(name, help=help, description=description, epilog=epilog, formatter_class=_FORMATTER)


# -- symmetry ---------------------------------------------------------------------------------------

_INITS = ("constant", *INITS)


def add_symmetry(commands: Any) -> None:
    sym = _command(
        commands,
        "symmetry",
        help="why hidden neurons that start equal stay identical (the motivating example)",
        description=(
            "Build the 2-3-3-2 sigmoid network with every weight and bias equal, train it with plain\n"
            "SGD on two observations next to a seeded random start, and show that the hidden\n"
            "neurons of the equal start stay interchangeable: identical gradients, forever."
        ),
        examples=["", "--value 0.5 --steps 5000 --out graphs", "--init xavier --seed 3"],
    )
    sym.add_argument(
        "--init", choices=_INITS, default="constant", help="initialisation of the first run (default: constant)"
    )
    types.number_option(
        sym,
        "--value",
        type=types.finite_float,
        default=1.0,
        help="every weight and bias, for --init constant (default: 1.0)",
    )
    sym.add_argument(
        "--steps",
        type=types.non_negative_int,
        default=symmetry.STEPS,
        help=f"SGD steps for each run (default: {symmetry.STEPS})",
    )
    types.number_option(
        sym,
        "--lr",
        type=types.positive_float,
        default=symmetry.LEARNING_RATE,
        help=f"learning rate (default: {symmetry.LEARNING_RATE:g})",
    )
    types.number_option(
        sym,
        "--seed",
        type=types.whole_number,
        default=symmetry.SEED,
        help=f"seed of the random starts (default: {symmetry.SEED})",
    )
    sym.add_argument("--out", type=Path, default=DEFAULT_FOLDER, help=_FOLDER_HELP)
    sym.add_argument(
        "--explain",
        action="store_true",
        help="first print the chosen start's first backward pass in layer notation: dC/dy, dC/da, "
        "the weight gradients, and why equal ones are equal",
    )
    sym.add_argument(
        "--html",
        action="store_true",
        help="also write graph_first_backward.html, a page that steps through that backward pass, "
        "and training_timeline.html, a slider over training showing both starts",
    )
    sym.add_argument(
        "--torch",
        action="store_true",
        help="first print the chosen start's gradients from this engine next to PyTorch's, with the "
        "largest difference (needs the torch extra: pip install 'micrograd-like[torch]')",
    )
    sym.add_argument("--eager", action="store_true", help=_EAGER_HELP)
    sym.set_defaults(handler=_cmd_symmetry)


def _cmd_symmetry(args: argparse.Namespace, out: TextIO, err: TextIO) -> int:
    from .. import viz

    check_folder(args.out)  # before training, not after
    pictures = _Pictures(err)
    written: list[Path] = []
    results = []
    page: list[Path] = []
    for k, (name, tag, build) in enumerate(_symmetry_starts(args)):
        model = build()
        if k == 0:  # the chosen start: its first backward pass, explained and drawn
            drawn, page = _first_backward(model, name, args, out, pictures)
            written += drawn + page
        written += pictures.write(symmetry.network_before(model, name), args.out / f"network_{tag}_before.svg")
        results.append(symmetry.run(name, model, steps=args.steps, lr=args.lr, compiled=not args.eager))
        after = viz.draw_network(model, title=symmetry.caption(results[-1]))  # gradients at the final weights
        written += pictures.write(after, args.out / f"network_{tag}_after.svg")

    print(symmetry.report(tuple(results)), file=out)  # table, computed verdict, neuron groups
    print("", file=out)
    print(f"wrote {len(written)} files to {args.out}: " + ", ".join(p.name for p in written), file=out)
    if args.html and not page:
        raise Failure("could not write the stepper page graph_first_backward.html: it needs Graphviz's 'dot'")
    if page:
        print(f"open {shown(page[0])} in a browser to step through the first backward pass", file=out)
        timeline = _timeline(args)
        print(f"wrote {shown(timeline)}: drag its slider to watch both starts train", file=out)
    return 0


def _timeline(args: argparse.Namespace) -> Path:
    """Train both starts again, recording snapshots, and write training_timeline.html."""
    from .. import viz

    starts = _symmetry_starts(args)
    records = [
        viz.record_training(build(), symmetry.cost, steps=args.steps, lr=args.lr, name=name)
        for name, _tag, build in starts
    ]
    model = starts[0][2]()  # the shape to draw: every start has the same one
    title = "Training the 2-3-3-2 network from both starts"
    return viz.timeline(model, records, title=title).save(args.out / "training_timeline.html")


def _symmetry_starts(args: argparse.Namespace) -> tuple[tuple[str, str, Callable[[], Any]], ...]:
    """(column name, file tag, builder) of the chosen start, then of one of the other kind."""
    constant = (
        symmetry.start_name("constant", value=args.value),
        "constant",
        lambda: symmetry.build_network("constant", value=args.value),
    )
    scheme = args.init if args.init != "constant" else "uniform"
    random_start = (
        symmetry.start_name(scheme, seed=args.seed),
        "random",
        lambda: symmetry.build_network(scheme, seed=args.seed),
    )
    return (constant, random_start) if args.init == "constant" else (random_start, constant)


def _first_backward(
    model: Any, name: str, args: argparse.Namespace, out: TextIO, pictures: Pictures
) -> tuple[list[Path], list[Path]]:
    """Print (--explain), step through (--html) and draw the first backward pass.

    Returns the drawing's files and ``[page]`` (``[]`` without --html or Graphviz).
    """
    from ..ledger import explain_network
    from ..losses import sse

    if args.explain:
        explanation = explain_network(model, symmetry.OBSERVATIONS, lambda outs: sse(outs, symmetry.TARGETS))
        print(f"The first backward pass of the {name} start, before any update:\n\n{explanation}\n", file=out)
    if args.torch:
        _print_torch_comparison(model, name, out)
    page: list[Path] = []
    if args.html:
        title = f"First backward pass of the 2-3-3-2 network, {name} start"
        page = pictures.page(symmetry.cost(model), args.out / "graph_first_backward.html", title=title, max_nodes=5_000)
    drawn = pictures.write(symmetry.first_backward_graph(model, name), args.out / "graph_first_backward.svg")
    return drawn, page


def _print_torch_comparison(model: Any, name: str, out: TextIO) -> None:
    from ..torch_bridge import require_torch
    from ..torch_compare import compare_with_torch

    try:
        require_torch("--torch")
    except ImportError as exc:
        raise Failure(str(exc)) from None
    table = compare_with_torch(model, symmetry.OBSERVATIONS, symmetry.cost_of_outputs)
    print(f"The {name} start's first backward pass, this engine next to PyTorch:\n\n{table}\n", file=out)


# -- draw --------------------------------------------------------------------------------------------


def add_draw(commands: Any) -> None:
    from ..expr import FUNCTIONS
    from ..viz import DEFAULT_MAX_NODES

    draw = _command(
        commands,
        "draw",
        help="backpropagate through a formula and draw its graph",
        description=(
            "Parse a formula (numbers, names, + - * / **, unary minus, and the functions\n"
            f"  {' '.join(FUNCTIONS)}),\n"
            "backpropagate, print every variable's value and gradient, and draw the graph with\n"
            "identical gradients coloured alike. The formula is parsed, never eval'd; every number\n"
            "in it (constants, variables, results, gradients) must be finite. The picture is named\n"
            f"after the formula, in ./{DEFAULT_FOLDER}/ unless --out says otherwise."
        ),
        examples=[
            '"tanh(a*b + c)" a=2 b=-3 c=10',
            '"x*x + x" x=3 --out square.png',
            "-- \"-x * exp(x)\" x=1     ('--' first when the formula starts with '-')",
        ],
    )
    draw.add_argument("expression", help='the formula, e.g. "tanh(a*b + c)"')
    draw.add_argument("assignments", nargs="*", metavar="NAME=VALUE", help="a value for every variable")
    draw.add_argument(
        "--out",
        default=None,
        metavar="FILE|FOLDER",
        help="the picture (its suffix sets the format), or a folder for it "
        f"(default: ./{DEFAULT_FOLDER}/, the file named after the formula)",
    )
    draw.add_argument(
        "--format",
        default=None,
        help="svg, png, pdf, gv (the DOT source), jpg, gif, ps, eps or svgz "
        "(default: from the suffix of --out, else svg)",
    )
    draw.add_argument(
        "--max-nodes",
        type=types.positive_int,
        default=DEFAULT_MAX_NODES,
        metavar="N",
        help=f"refuse larger graphs (default: {DEFAULT_MAX_NODES})",
    )
    draw.add_argument(
        "--html",
        action="store_true",
        help="also write a page that steps through the backward pass, named like the picture "
        "with .html (or at --out when it ends in .html)",
    )
    draw.add_argument(
        "--highlight",
        choices=("parameters", "all"),
        default="parameters",
        help="colour the equal-gradient groups holding a variable (default), or all of them",
    )
    draw.set_defaults(handler=_cmd_draw)


def _cmd_draw(args: argparse.Namespace, out: TextIO, err: TextIO) -> int:
    from .. import viz
    from ..engine import iter_graph

    formula = args.expression.strip()
    root, leaves = _evaluate(formula, args.assignments)
    size = sum(1 for _ in iter_graph(root))
    if size > args.max_nodes:
        raise UsageError(
            f"the graph of this formula has {size} Values, more than --max-nodes {args.max_nodes}; "
            f"pass --max-nodes {size} to draw it anyway"
        )
    graph = viz.draw_dot(root, max_nodes=args.max_nodes, title=formula, highlight=args.highlight)
    pictures = Pictures(err)
    target, page = _draw_targets(args, formula)
    try:
        written = pictures.write(graph, target, args.format)
    except ValueError as e:
        raise UsageError(_format_problem(args, e)) from None
    if page is not None:
        written += pictures.page(root, page, title=formula, max_nodes=args.max_nodes)

    print(f"{formula} = {root.data:.6g}", file=out)
    width = max([len(n) for n in leaves] + [8])
    print(f"{'variable':<{width}} {'value':>12} {'gradient':>14}", file=out)
    for name, leaf in leaves.items():
        print(f"{name:<{width}} {leaf.data:>12.6g} {leaf.grad:>14.6g}", file=out)
    if pictures.dot_missing:  # asked for a picture, got only its source: a failure
        source = f" (the DOT source is in {shown(written[0])})" if written else ""
        raise Failure(f"could not render the picture: Graphviz is missing{source}")
    print("wrote " + ", ".join(shown(p) for p in written), file=out)
    return 0


def _evaluate(formula: str, assignments: list[str]) -> tuple[Any, dict[str, Any]]:
    """The formula's Value after backward, and its leaves; every problem is a UsageError."""
    import math

    from ..expr import ExpressionError, parse_assignment, parse_expression

    variables: dict[str, float] = {}
    try:
        for text in assignments:
            name, value = parse_assignment(text)
            if name in variables:
                raise UsageError(f"{name} is given twice; give each variable one value")
            variables[name] = value
        root, leaves = parse_expression(formula, variables)
    except ExpressionError as e:
        raise UsageError(str(e)) from None
    root.label = root.label or _free_name(ROOT_NAME, leaves)  # the value being differentiated
    try:
        root.backward()
    except (ValueError, ZeroDivisionError, OverflowError) as e:  # e.g. d/dx sqrt(x) at 0
        raise UsageError(f"cannot differentiate the formula at these values: {e}") from None
    for name, leaf in leaves.items():
        if not math.isfinite(leaf.grad):
            raise UsageError(
                f"cannot differentiate the formula at these values: the gradient of {name} "
                f"is {leaf.grad} (every number must be finite)"
            )
    return root, leaves


def _free_name(name: str, taken: dict[str, Any]) -> str:
    """``name``, or ``name_``, ``name__``, ... when a variable already has it."""
    while name in taken:
        name += "_"
    return name


def _draw_target(out: str | None, formula: str) -> Path:
    """The --out file as given, or a file named after the formula inside the --out folder."""
    if out is None:
        return DEFAULT_FOLDER / formula_stem(formula)
    path = Path(out)
    if out.endswith(("/", "\\")) or path.is_dir():
        return path / formula_stem(formula)
    return path


def _draw_targets(args: argparse.Namespace, formula: str) -> tuple[Path, Path | None]:
    """The picture's path and, with --html, the stepper page's: the picture's with .html.

    With --html, an --out ending in .html names the page; the picture goes beside it.
    """
    target = _draw_target(args.out, formula)
    if not args.html:
        return target, None
    if target.suffix.lower() in _PAGE_SUFFIXES:
        return target.with_suffix("." + (args.format or "svg")), target
    return target, target.with_suffix(".html")


_PAGE_SUFFIXES = (".html", ".htm")


def _format_problem(args: argparse.Namespace, error: ValueError) -> str:
    if args.format is None and Path(args.out).suffix.lower() in _PAGE_SUFFIXES:
        return f"cannot write {args.out} as a picture; add --html to write the stepper page there"
    if args.format is None:
        return f"cannot write {args.out}: {error}; or give --format"
    return f"cannot write the picture as {args.format}: {error}"


# -- explain -----------------------------------------------------------------------------------------


def add_explain(commands: Any) -> None:
    exp = _command(
        commands,
        "explain",
        help="write out a formula's backward pass as a chain-rule ledger",
        description=(
            "Parse a formula (the same safe parser and rules as 'draw'), and print its backward pass\n"
            "one chain-rule step per row, in the order reverse mode computes it: the node passing its\n"
            "gradient on, that gradient, the local derivative as a formula and a number, their\n"
            "product, and the input's running total; then every node's final gradient."
        ),
        examples=[
            '"tanh(a*b + c)" a=2 b=-3 c=10',
            '"x*x + x" x=3',
            "-- \"-x * exp(x)\" x=1     ('--' first when the formula starts with '-')",
        ],
    )
    exp.add_argument("expression", help='the formula, e.g. "tanh(a*b + c)"')
    exp.add_argument("assignments", nargs="*", metavar="NAME=VALUE", help="a value for every variable")
    exp.set_defaults(handler=_cmd_explain)


def _cmd_explain(args: argparse.Namespace, out: TextIO, err: TextIO) -> int:
    from ..ledger import explain

    formula = args.expression.strip()
    root, _ = _evaluate(formula, args.assignments)
    print(f"{formula} = {root.data:.6g}\n\n{explain(root)}", file=out)
    return 0


# -- train -----------------------------------------------------------------------------------------


def add_train(commands: Any) -> None:
    train = _command(
        commands,
        "train",
        help="train micrograd's two-moons demo",
        description=(
            f"Train micrograd's two-moons demo ({moons.POINTS} points, relu MLP, SVM hinge loss with L2,\n"
            "full-batch SGD with a decaying learning rate) with a progress bar, then print the\n"
            "loss and accuracy and draw the network (and the decision boundary with matplotlib)."
        ),
        examples=["moons", "moons --steps 50 --hidden 8,8 --lr 0.5 --seed 1 --out runs"],
    )
    hidden = ",".join(map(str, moons.HIDDEN))
    train.add_argument("dataset", choices=("moons",), help="the data set (only moons for now)")
    train.add_argument(
        "--steps", type=types.non_negative_int, default=moons.STEPS, help=f"SGD steps (default: {moons.STEPS})"
    )
    train.add_argument(
        "--hidden", type=types.widths, default=list(moons.HIDDEN), help=f"hidden layer widths (default: {hidden})"
    )
    types.number_option(
        train,
        "--lr",
        type=types.positive_float,
        default=moons.LEARNING_RATE,
        help=f"starting learning rate (default: {moons.LEARNING_RATE:g})",
    )
    types.number_option(
        train,
        "--seed",
        type=types.whole_number,
        default=moons.SEED,
        help=f"seed of the data and the weights (default: {moons.SEED})",
    )
    train.add_argument("--out", type=Path, default=DEFAULT_FOLDER, help=_FOLDER_HELP)
    train.add_argument("--eager", action="store_true", help=_EAGER_HELP)
    train.set_defaults(handler=_cmd_train)


def _cmd_train(args: argparse.Namespace, out: TextIO, err: TextIO) -> int:
    from tqdm import tqdm

    from .. import viz
    from ..datasets import make_moons
    from ..nn import MLP

    check_folder(args.out)  # before training, not after
    X, y = make_moons(moons.POINTS, noise=moons.NOISE, seed=args.seed)
    model = MLP(2, [*args.hidden, 1], seed=args.seed)
    # tqdm draws on stderr and only when it is a terminal (disable=None), so
    # piped output stays clean.
    steps = moons.train(model, X, y, steps=args.steps, lr=args.lr, compiled=not args.eager)
    bar = tqdm(steps, total=args.steps, desc="training", unit="step", file=err, disable=None, leave=False)
    for step in bar:
        bar.set_postfix(loss=f"{step.loss:.4f}", accuracy=f"{step.accuracy:.0%}", refresh=False)
    bar.close()
    loss, accuracy = moons.loss_and_accuracy(model, X, y)
    print(
        f"two moons, {moons.POINTS} points, MLP(2, {[*args.hidden, 1]}), {args.steps} steps of SGD from lr {args.lr:g}",
        file=out,
    )
    print(f"final loss {loss.data:.6f}, training accuracy {accuracy:.0%}", file=out)

    written = Pictures(err).write(viz.draw_network(model), args.out / "moons_network.svg")
    try:
        written.append(moons.plot_boundary(model, X, y, args.out / "moons_boundary.png"))
    except ModuleNotFoundError:
        print(
            f"{PROG}: matplotlib is not installed, so no decision-boundary picture; "
            "pip install 'micrograd-like[plot]' for one",
            file=err,
        )
    print(f"wrote {len(written)} files to {args.out}: " + ", ".join(p.name for p in written), file=out)
    return 0


# -- diagnose --------------------------------------------------------------------------------------

#: The losses ``diagnose`` offers: those that take one target number per output.
_LOSSES = ("mse", "sse", "hinge", "binary_cross_entropy")
#: The default loss for each --data (None: --csv).
_DEFAULT_LOSS = {"symmetry": "sse", "moons": "hinge", None: "mse"}


def add_diagnose(commands: Any) -> None:
    from ..diagnose import DEFAULT_LR, DEFAULT_STEPS

    diag = _command(
        commands,
        "diagnose",
        help="say why a network does not learn: interchangeable, saturated or dead neurons, or the step size",
        description=(
            "Inspect a network on its data, train it for a few steps of plain gradient descent (at --lr\n"
            "and at a step ten times smaller; the model file is not changed) and say which of four\n"
            "reasons keeps it from learning: interchangeable neurons, saturated sigmoid/tanh units, dead\n"
            "ReLUs, a step size too large or too small; or none of these. One sentence per finding,\n"
            "each with its numbers.\n\n"
            "The data: --csv FILE with --model FILE (a network saved with model.save), or the built-in\n"
            "--data symmetry (the two observations of 'symmetry'; the network defaults to its 2-3-3-2\n"
            "sigmoid network with every weight and bias --value) or --data moons (the two-moons points\n"
            "of 'train moons', targets -1/+1; the network defaults to its MLP(2, [16, 16, 1]), --seed).\n\n"
            "CSV layout: the first line names every column x0, x1, ... (the network's inputs, in order)\n"
            "or y0, y1, ... (its targets, one per output), in any order; each further line is one\n"
            "sample, a number in every cell. For example, for a 2-input, 1-output network:\n"
            "  x0,x1,y0\n  0.8,0.4,1\n  0.3,0.3,0"
        ),
        examples=[
            "--data symmetry --value 5",
            "--data symmetry --lr 100",
            "--model net.json --csv samples.csv --loss sse --lr 0.5",
            "--data moons --steps 5",
        ],
    )
    source = diag.add_mutually_exclusive_group(required=True)
    source.add_argument("--csv", type=Path, metavar="FILE", help="inputs and targets, one sample per line (see above)")
    source.add_argument("--data", choices=("symmetry", "moons"), help="a built-in data set instead of --csv")
    diag.add_argument("--model", type=Path, metavar="FILE", help="the network, as written by model.save")
    diag.add_argument(
        "--loss",
        choices=_LOSSES,
        help="the cost to minimise (default: the data's own: sse for symmetry, as 'symmetry' uses; hinge for "
        "moons, as 'train moons' uses; mse for a CSV)",
    )
    types.number_option(
        diag,
        "--lr",
        type=types.positive_float,
        default=DEFAULT_LR,
        help=f"step size of the trial run (default: {DEFAULT_LR:g})",
    )
    diag.add_argument(
        "--steps",
        type=types.positive_int,
        default=DEFAULT_STEPS,
        help=f"steps of the trial run (default: {DEFAULT_STEPS})",
    )
    types.number_option(
        diag, "--value", type=types.finite_float, help="every weight and bias of the symmetry network (default: 1.0)"
    )
    types.number_option(
        diag, "--seed", type=types.whole_number, help=f"seed of the moons data and network (default: {moons.SEED})"
    )
    diag.set_defaults(handler=_cmd_diagnose)


def _cmd_diagnose(args: argparse.Namespace, out: TextIO, err: TextIO) -> int:
    import textwrap

    from .. import losses
    from ..diagnose import STEP_FACTOR, diagnose

    model, inputs, targets, where = _diagnose_inputs(args)
    if args.loss is None:  # the cost the data's own command minimises, so both give the same verdict
        args.loss = _DEFAULT_LOSS[args.data]
    _check_shapes(model, inputs, targets, where, args)
    # A one-output network returns a bare Value: then each target is one number, not a list.
    wanted: list[Any] = [t[0] for t in targets] if model.nouts[-1] == 1 else targets
    try:
        d = diagnose(model, inputs, wanted, getattr(losses, args.loss), lr=args.lr, steps=args.steps)
    except (ValueError, ZeroDivisionError, OverflowError) as e:
        raise Failure(f"cannot compute the {args.loss} loss on {where}: {e}") from None
    shape = "-".join(str(n) for n in d.shape)
    head = (
        f"{shape} network, {len(inputs)} samples of {where}, loss {args.loss}: {d.steps} steps of plain "
        f"gradient descent at lr {d.lr:g} (and at lr {d.lr / STEP_FACTOR:g} to compare)."
    )
    for paragraph in [head, *d.report()]:
        print(textwrap.fill(paragraph, 100, break_on_hyphens=False, break_long_words=False), file=out)
        print("", file=out)
    return 0


def _diagnose_inputs(args: argparse.Namespace) -> tuple[Any, list[list[float]], list[list[float]], str]:
    """(model, inputs, targets, what the data is called) from the options; usage errors first."""
    from ..nn import MLP
    from .data import load_network, read_samples

    if args.value is not None and (args.data != "symmetry" or args.model is not None):
        raise UsageError("--value sets the weights of the symmetry network: use it with --data symmetry, no --model")
    if args.seed is not None and (args.data != "moons"):
        raise UsageError("--seed picks the moons data and network: use it with --data moons")
    if args.csv is not None and args.model is None:
        raise UsageError("--csv needs --model FILE, the network to diagnose (saved with model.save)")
    model = load_network(args.model) if args.model is not None else None
    if args.csv is not None:
        samples = read_samples(args.csv)
        return model, samples.inputs, samples.targets, str(args.csv)
    if args.data == "symmetry":
        value = 1.0 if args.value is None else args.value
        inputs, targets = [list(x) for x in symmetry.OBSERVATIONS], [list(t) for t in symmetry.TARGETS]
        return model or symmetry.build_network("constant", value=value), inputs, targets, "the symmetry data"
    from ..datasets import make_moons

    seed = moons.SEED if args.seed is None else args.seed
    X, y = make_moons(moons.POINTS, noise=moons.NOISE, seed=seed)
    default = MLP(2, [*moons.HIDDEN, 1], seed=seed)
    return model or default, [list(x) for x in X], [[float(v)] for v in y], "the moons data"


def _check_shapes(model: Any, inputs: list, targets: list, where: str, args: argparse.Namespace) -> None:
    network = f"the network in {args.model}" if args.model is not None else "the network"
    sizes = (
        (len(inputs[0]), model.nin, "input", "inputs", "x"),
        (len(targets[0]), model.nouts[-1], "target", "outputs", "y"),
    )
    for count, width, what, has, column in sizes:
        if count != width:
            fix = f"give one {column} column per {what} ({column}0 to {column}{width - 1})"
            if args.csv is None:
                fix = f"give a network with {count} {has if count != 1 else has[:-1]}"
            raise Failure(f"{where} has {count} {what} column(s) but {network} has {width} {has}; {fix}")


#: Every command, in the order of the help text: each adds its own parser.
COMMANDS: tuple[Callable[[Any], None], ...] = (add_symmetry, add_draw, add_explain, add_train, add_diagnose)
