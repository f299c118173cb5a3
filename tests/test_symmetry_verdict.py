"""The symmetry verdict says only what the run's numbers show.

Each report is read back the way a learner reads it: the table is parsed by its
columns, every sentence of the verdict is matched against the few forms it may
take, and every number or yes/no in a sentence is checked against the table and
against the trained model itself (never against the verdict object that wrote
the sentence). A sentence of any other form fails the test, so nothing unchecked
can slip into the text.
"""

from __future__ import annotations

import functools
import io
import re
from pathlib import Path

import pytest
from diagnose_checks import SENTENCES as DIAGNOSE_SENTENCES
from diagnose_checks import Case, check_sentence, local_derivative

from micrograd_like import symmetry
from micrograd_like.cli import main
from micrograd_like.diagnose import SATURATION_DERIVATIVE
from micrograd_like.engine import grad
from micrograd_like.symmetry import MEANS_TOLERANCE, TARGET_TOLERANCE, TARGETS
from micrograd_like.viz import draw_network

MEANS = [sum(column) / len(column) for column in zip(*TARGETS)]  # [0.6, 0.2]
FULL = ((0, (0, 1, 2)), (1, (0, 1, 2)))  # every hidden layer of a constant start


@functools.cache
def run(scheme: str, value: float, seed: int, steps: int, lr: float) -> symmetry.RunResult:
    name = symmetry.start_name(scheme, value=value, seed=seed)
    return symmetry.run(name, symmetry.build_network(scheme, value=value, seed=seed), steps, lr)


# -- reading the report back ----------------------------------------------------------------------


def parse_table(text: str) -> dict[str, dict[str, str]]:
    """{column name: {row label: cell}}, cut at the dashed line's column boundaries."""
    lines = text.splitlines()
    rule = next(i for i, line in enumerate(lines) if line.startswith("---"))
    spans = [m.span() for m in re.finditer(r"-+", lines[rule])]

    def cells(line: str) -> list[str]:
        return [line[a : b if k < len(spans) - 1 else None].strip() for k, (a, b) in enumerate(spans)]

    names = cells(lines[rule - 1])[1:]
    table: dict[str, dict[str, str]] = {name: {} for name in names}
    for line in lines[rule + 1 :]:
        if not line.strip():
            break
        label, *row = cells(line)
        for name, cell in zip(names, row):
            table[name][label] = cell
    return table


def parse_groups(text: str) -> tuple:
    """``layer 0: [0, 1, 2]; layer 1: neurons [0, 1]`` or ``none`` -> ((0, (0, 1, 2)), ...)."""
    if text == "none":
        return ()
    found = re.findall(r"layer (\d+):? (?:neurons )?\[([\d, ]+)\]", text)
    assert found, text
    return tuple((int(layer), tuple(int(n) for n in members.split(", "))) for layer, members in found)


def parse_vector(text: str) -> list[float]:
    return [float(x) for x in text.strip("[]").split(", ")]


def paragraphs(text: str) -> list[str]:
    """The verdict's paragraphs (between the table and the neuron-group lines), unwrapped."""
    after_table = text.split("\n\n", 2)[2]
    verdict_text = after_table.split("\ninterchangeable neurons, ")[0]
    return [" ".join(p.split("\n")) for p in verdict_text.strip().split("\n\n")]


SENTENCES = {
    "keeps": r"(?P<name>.+?): interchangeable hidden neurons \(same weights, same gradients\) at the start "
    r"and still after (?P<steps>\d+) steps, in (?P<groups>.+?)\.",
    "none": r"(?P<name>.+?): no two hidden neurons are interchangeable, at the start or after (?P<steps>\d+) steps\.",
    "changed": r"(?P<name>.+?): interchangeable hidden neurons at the start in (?P<before>.+?), "
    r"after (?P<steps>\d+) steps in (?P<groups>.+?)\.",
    "copies": r"(?P<copies>\d+) of its (?P<hidden>\d+) hidden neurons copy another neuron of their layer "
    r"\((?P<per_layer>[^)]+)\), so its (?P<params>\d+) parameters move as only (?P<free>\d+) "
    r"independent numbers: it trains like a (?P<shape>[\d-]+) network\.",
    "no copies": r"None of its (?P<hidden>\d+) hidden neurons copies another, so all (?P<params>\d+) "
    r"parameters can learn different things\.",
    "reaches": r"Every output is within (?P<tol>[\d.]+) of its target \(largest error (?P<error>[\d.]+)\)\.",
    "enough": r"So for these two observations a (?P<shape>[\d-]+) network is enough, and the copied neurons "
    r"added nothing\.",
    "misses": r"It has not reached the targets: its largest error is (?P<error>[\d.]+), more than (?P<tol>[\d.]+)\.",
    "at means": r"Its outputs are within (?P<tol>[\d.]+) of the column means of the targets (?P<means>\[.+?\]) "
    r"for both observations: nearly the same answer whatever the input\.",
    "off means": r"Nor are its outputs at the column means of the targets (?P<means>\[.+?\]) \(one is "
    r"(?P<distance>[\d.]+) away, more than (?P<tol>[\d.]+)\)\.",
}
# diagnose's sentences about a run's start, as the verdict quotes them: checked by diagnose_checks.
DIAGNOSED = {
    f"from its start, {kind}": "From its start, "
    + DIAGNOSE_SENTENCES[kind].pattern[0].lower()
    + DIAGNOSE_SENTENCES[kind].pattern[1:]
    for kind in ("saturated", "dead", "step")
}
SENTENCES.update(DIAGNOSED)
LESSON = (
    "Neurons that start equal compute the same value and get the same gradient, so plain gradient "
    "descent keeps them equal forever; start from random weights to make them differ."
)


def split_sentences(paragraph: str) -> dict[str, re.Match]:
    """Match the paragraph, sentence by sentence from its start, against SENTENCES; nothing may be left."""
    found: dict[str, re.Match] = {}
    rest = paragraph
    while rest:
        for kind, pattern in SENTENCES.items():
            m = re.match(pattern + r"(?: |$)", rest)
            if m and kind not in found:
                found[kind] = m
                rest = rest[m.end() :]
                break
        else:
            pytest.fail(f"a sentence the test does not know how to check: {rest!r}")
    return found


def distinct_values(result: symmetry.RunResult) -> int:
    return len({p.data for p in result.model.parameters()})


def check_paragraph(paragraph: str, result: symmetry.RunResult, column: dict[str, str], before: tuple) -> str:
    """Check every sentence about one run; return its (target, means) standing for coverage."""
    s = split_sentences(paragraph)
    check_diagnosed(s, result)
    model = result.model
    widths = [len(model.layers[0].neurons[0].w)] + [len(layer.neurons) for layer in model.layers]
    n_params = len(model.parameters())
    after = parse_groups(column["interchangeable hidden neurons"])
    assert after == result.symmetric  # the table is the run's own

    # Which layers hold interchangeable neurons: exactly one sentence, true to the table.
    [kind] = [k for k in ("keeps", "none", "changed") if k in s]
    m = s[kind]
    assert m["name"] == result.name and int(m["steps"]) == result.steps
    if kind == "keeps":
        assert parse_groups(m["groups"]) == after == before != ()
    elif kind == "none":
        assert after == before == ()
    else:
        assert parse_groups(m["before"]) == before and parse_groups(m["groups"]) == after != before

    # What the copies cost, checked against the model's own parameters.
    copies = [0] * (len(widths) - 2)
    for layer, members in after:
        copies[layer] += len(members) - 1
    shape = "-".join(str(w) for w in [widths[0], *(w - c for w, c in zip(widths[1:-1], copies)), widths[-1]])
    if "copies" in s:
        m = s["copies"]
        assert "no copies" not in s and sum(copies) == int(m["copies"]) > 0
        assert int(m["hidden"]) == sum(widths[1:-1]) and int(m["params"]) == n_params
        assert m["per_layer"] == ", ".join(f"layer {i}: {c} of {widths[i + 1]}" for i, c in enumerate(copies))
        assert m["shape"] == shape
        # Gradient descent never separates copies, so the trained model holds at most
        # that many different numbers (and, after any training that moves every weight, exactly
        # that many: saturated units pass back gradients too small to change a weight of 5).
        assert distinct_values(result) <= int(m["free"]) < n_params
        if result.steps and not saturated_at_start(start_of(result.name)):
            assert distinct_values(result) == int(m["free"])
    else:
        m = s["no copies"]
        assert after == () and int(m["hidden"]) == sum(widths[1:-1]) and int(m["params"]) == n_params
        if result.steps:
            assert distinct_values(result) == n_params

    # Whether the outputs are within the stated tolerance of the targets.
    error = max(abs(o - t) for row, trow in zip(result.outputs, TARGETS) for o, t in zip(row, trow))
    assert column["max |output - target|"] == f"{error:.4f}"
    [kind] = [k for k in ("reaches", "misses") if k in s]
    m = s[kind]
    assert float(m["tol"]) == TARGET_TOLERANCE and m["error"] == column["max |output - target|"]
    assert (error <= TARGET_TOLERANCE) == (kind == "reaches")
    if "enough" in s:
        assert kind == "reaches" and sum(copies) > 0 and s["enough"]["shape"] == shape

    # Whether the outputs sit at the column means of the targets (stated whenever the targets are missed).
    distance = max(abs(o - mean) for row in result.outputs for o, mean in zip(row, MEANS))
    if kind == "reaches":
        assert "at means" not in s and "off means" not in s and distance > MEANS_TOLERANCE
        return "targets"
    [kind] = [k for k in ("at means", "off means") if k in s]
    m = s[kind]
    assert float(m["tol"]) == MEANS_TOLERANCE and parse_vector(m["means"]) == pytest.approx(MEANS)
    assert (distance <= MEANS_TOLERANCE) == (kind == "at means")
    if kind == "at means":
        for j in range(len(MEANS)):  # nearly the same answer for both observations
            assert abs(result.outputs[0][j] - result.outputs[1][j]) <= 2 * MEANS_TOLERANCE
        return "means"
    assert m["distance"] == f"{distance:.4f}"
    return "neither"


def start_of(name: str) -> Case:
    """The run's starting network, rebuilt from its name alone, with the symmetry data and cost."""
    constant = re.fullmatch(r"constant (\S+)", name)
    if constant:
        model = symmetry.build_network("constant", value=float(constant[1]))
    else:
        scheme, seed = re.fullmatch(r"random \((\w+), seed (\d+)\)", name).groups()
        model = symmetry.build_network(scheme, seed=int(seed))
    return Case(model, [list(x) for x in symmetry.OBSERVATIONS], [list(t) for t in TARGETS])


def saturated_at_start(case: Case) -> bool:
    """Some sigmoid unit of the start has local derivative below the threshold on every observation."""
    return any(
        all(local_derivative(case.model, li, j, x) < SATURATION_DERIVATIVE for x in case.inputs)
        for li, layer in enumerate(case.model.layers)
        for j in range(len(layer.neurons))
    )


def check_diagnosed(s: dict[str, re.Match], result: symmetry.RunResult) -> None:
    """Each sentence about the run's start holds for the start rebuilt here; saturation is never missed."""
    case = start_of(result.name)
    for kind in DIAGNOSED:
        if kind in s:
            sentence = s[kind].group(0).strip().removeprefix("From its start, ")
            checked = check_sentence(sentence[0].upper() + sentence[1:], case)
            assert kind.endswith(checked.split()[0])
    assert ("from its start, saturated" in s) == saturated_at_start(case)


def check_report(text: str, results: tuple[symmetry.RunResult, ...]) -> list[str]:
    table = parse_table(text)
    assert list(table) == [r.name for r in results]
    befores = {}
    for r in results:
        block = text.split(f"interchangeable neurons, {r.name}:\n")[1].splitlines()
        befores[r.name] = parse_groups(block[0].split("before training: ")[1])
        assert parse_groups(block[1].split("after training:  ")[1]) == r.symmetric
        assert float(table[r.name][f"cost after {r.steps} steps"]) == pytest.approx(r.final_cost, abs=1e-6)
        for i in range(len(TARGETS)):
            row = next(v for k, v in table[r.name].items() if k.startswith(f"observation {i} "))
            assert parse_vector(row) == pytest.approx(r.outputs[i], abs=5e-5)
    paras = paragraphs(text)
    standings = []
    for r in results:
        [para] = [p for p in paras if p.startswith(f"{r.name}: ")]
        standings.append(check_paragraph(para, r, table[r.name], befores[r.name]))
    # The lesson (random weights) only where a run kept its interchangeable neurons and nothing else
    # was found at its start; otherwise each cause found carries its own advice.
    kept = [r.name for r, before in zip(results, befores.values()) if before and before == r.symmetric]
    only_symmetry = [p for p in paras if p.split(": ")[0] in kept and "From its start, " not in p]
    assert paras[len(results) :] == ([LESSON] if only_symmetry else [])
    for word in ("plateau", "stuck"):  # facts no run measures
        assert word not in text
    assert ("saturat" in text) == any("From its start, saturated units" in p for p in paras)
    return standings


# -- the grid ---------------------------------------------------------------------------------------

VALUES = (0.0, 0.5, 1.0, -1.0, 2.0, 5.0)
RANDOM = (("uniform", 0), ("xavier", 3), ("he", 1), ("normal", 2))
STEPS = (0, 10, 300)
LRS = (0.3, 1.0, 5.0)


def diagnosed(text: str) -> set[str]:
    """The kinds of sentence about a start in a report: ``saturated``, ``step too large``, ..."""
    return set(re.findall(r"From its start, (saturated|dead|the step size \S+ is too \w+)", " ".join(text.split())))


def check_cell(steps: int, lr: float) -> set[tuple[str, str]]:
    """Check the reports of one (steps, lr) cell; return the (start, standing) pairs and the diagnoses met."""
    seen = set()
    for k, value in enumerate(VALUES):
        scheme, seed = RANDOM[k % len(RANDOM)]
        constant, random_start = run("constant", value, 0, steps, lr), run(scheme, 1.0, seed, steps, lr)
        assert constant.symmetric_before == constant.symmetric == FULL  # always, and the real lesson
        assert random_start.symmetric_before == random_start.symmetric == ()
        for results in ((constant, random_start), (random_start, constant)):  # either can come first
            text = symmetry.report(results)
            standings = check_report(text, results)
        seen |= {("random", standings[0]), ("constant", standings[1])}
        seen |= {("diagnosed", re.sub(r"the step size \S+ is", "step", kind)) for kind in diagnosed(text)}
    return seen


@pytest.mark.parametrize("steps", STEPS)
@pytest.mark.parametrize("lr", LRS)
def test_no_sentence_contradicts_the_table(steps, lr):
    check_cell(steps, lr)


def test_the_grid_meets_every_standing():
    # Without this the grid could pass by never leaving one branch of the verdict.
    seen = set().union(*(check_cell(steps, lr) for steps in STEPS for lr in LRS))
    standings = {(kind, standing) for kind in ("constant", "random") for standing in ("targets", "means", "neither")}
    # ... or never meeting a start that diagnose blames on saturation or on the step size.
    assert seen == standings | {("diagnosed", "saturated"), ("diagnosed", "step too large")}


@pytest.mark.parametrize(
    "value, steps, standings",
    [
        (1.0, 2300, ("means", "targets")),  # the default: the all-ones start is still at the column means
        (1.0, 3500, ("targets", "targets")),  # ... and later fits the targets, with its copies
        (0.5, 5000, ("targets", "targets")),  # the --help example
        (0.0, 2300, ("targets", "targets")),  # a zero start
        (1.0, 10, ("neither", "means")),  # a random start that has not reached the targets yet
    ],
)
def test_the_issues_runs(value, steps, standings):
    results = run("constant", value, 0, steps, 1.0), run("uniform", 1.0, 0, steps, 1.0)
    assert tuple(check_report(symmetry.report(results), results)) == standings


@pytest.mark.parametrize(
    "value, lr, cause",
    [
        (5.0, 1.0, "saturated"),  # the issue's --value 5: saturated, not merely interchangeable
        (10.0, 1.0, "saturated"),
        (1.0, 100.0, "step too large"),  # the issue's --lr 100: both starts, the step
        (1.0, 5.0, "step too large"),
        (1.0, 1.0, None),  # the default: interchangeable neurons, and the lesson
    ],
)
def test_the_advice_follows_the_cause(tmp_path, value, lr, cause):
    out, err = io.StringIO(), io.StringIO()
    args = ["symmetry", "--value", str(value), "--lr", str(lr), "--out", str(tmp_path)]
    assert main(args, out=out, err=err) == 0, err.getvalue()
    text = out.getvalue().split("\nwrote ")[0]
    results = run("constant", value, 0, symmetry.STEPS, lr), run("uniform", 1.0, 0, symmetry.STEPS, lr)
    check_report(text, results)
    constant_paragraph = next(p for p in paragraphs(text) if p.startswith(f"constant {value:g}: "))
    if cause is None:
        assert "From its start" not in text and LESSON in " ".join(text.split())
        return
    assert "start from random weights" not in text
    if cause == "saturated":
        assert constant_paragraph.endswith("; start from smaller initial weights.")
        assert "From its start, saturated units" in constant_paragraph
    else:
        for p in paragraphs(text)[:2]:  # both starts
            assert re.search(rf"From its start, the step size {lr:g} is too large: .*; try lr {lr / 10:g}\.$", p), p


# -- the command line prints the same verdict -------------------------------------------------------


@pytest.mark.parametrize(
    "args, starts",
    [
        (["--value", "0.5", "--steps", "5000"], [("constant", 0.5, 0), ("uniform", 1.0, 0)]),
        (["--steps", "10"], [("constant", 1.0, 0), ("uniform", 1.0, 0)]),
        (
            ["--value", "0", "--steps", "300", "--init", "he", "--seed", "4", "--lr", "2"],
            [("he", 1.0, 4), ("constant", 0.0, 0)],
        ),
    ],
)
def test_cli_verdict(tmp_path, args, starts):
    out, err = io.StringIO(), io.StringIO()
    assert main(["symmetry", *args, "--out", str(tmp_path)], out=out, err=err) == 0, err.getvalue()
    steps = int(args[args.index("--steps") + 1])
    lr = float(args[args.index("--lr") + 1]) if "--lr" in args else 1.0
    results = tuple(run(scheme, value, seed, steps, lr) for scheme, value, seed in starts)
    check_report(out.getvalue(), results)


# -- the pictures after training ----------------------------------------------------------------------


def test_run_leaves_the_gradients_of_the_final_weights():
    result = symmetry.run("constant 1", symmetry.build_network("constant"), steps=5, lr=1.0)
    params = result.model.parameters()
    fresh = grad(symmetry.cost(result.model), params)
    assert [p.grad for p in params] == fresh
    assert result.final_cost == symmetry.cost(result.model).data


def test_cli_after_pictures_show_final_gradients_and_the_readme_caption(tmp_path):
    out, err = io.StringIO(), io.StringIO()
    assert main(["symmetry", "--steps", "7", "--out", str(tmp_path)], out=out, err=err) == 0, err.getvalue()
    draw_symmetry = _load_example("draw_symmetry")
    for tag, scheme in (("constant", "constant"), ("random", "uniform")):
        name = symmetry.start_name(scheme, seed=0)
        model = symmetry.build_network(scheme, seed=0)
        result = symmetry.run(name, model, steps=7, lr=1.0)
        for p in model.parameters():  # the gradients at the final weights, taken here by hand
            p.grad = 0.0
        symmetry.cost(model).backward()
        written = (tmp_path / f"network_{tag}_after.gv").read_text(encoding="utf-8")
        assert written == draw_network(model, title=symmetry.caption(result)).source
        # The README's copies come from the example's picture(): the same drawing and caption.
        readme_copy = draw_symmetry.picture(symmetry.build_network(scheme, seed=0), name, 7).source
        assert readme_copy.replace("\tdpi=110\n", "") == written


def test_caption_states_the_verdict():
    for steps, value, fit in ((2300, 1.0, "column means"), (5000, 0.5, "of its target"), (0, 1.0, "neither")):
        text = symmetry.caption(run("constant", value, 0, steps, 1.0)).split("\n")
        assert text[0] == (
            f"constant {value:g}: weights and gradients "
            + (f"after {steps:,} steps of plain SGD (lr 1)" if steps else "before training")
        )
        assert fit in text[2]
        assert text[3].startswith("4 of its 6 hidden neurons copy another") and "2-1-1-2" in text[3]
    text = symmetry.caption(run("uniform", 1.0, 0, 2300, 1.0)).split("\n")
    assert "of its target" in text[2] and "none are interchangeable" in text[3]


def _load_example(name: str):
    import importlib.util

    path = Path(__file__).resolve().parent.parent / "examples" / f"{name}.py"
    spec = importlib.util.spec_from_file_location(f"_example_{name}", path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_bad_arguments_name_the_value_and_the_fix():
    good = run("constant", 1.0, 0, 0, 1.0)
    with pytest.raises(TypeError, match=r"result must be a RunResult .* got str 'x'; pass e.g. compare\(\)\[0\]"):
        symmetry.verdict("x")
    with pytest.raises(TypeError, match=r"result must be a RunResult"):
        symmetry.caption(None)
    with pytest.raises(TypeError, match=r"results must be a tuple of RunResult, got list"):
        symmetry.report([good])
    with pytest.raises(TypeError, match=r"results\[1\] must be a RunResult"):
        symmetry.report((good, 3))
    with pytest.raises(ValueError, match=r"at least one RunResult"):
        symmetry.format_table(())
    with pytest.raises(ValueError, match=r"width must be an int >= 20, got 5"):
        symmetry.report((good,), width=5)
    with pytest.raises(TypeError, match=r"width must be"):
        symmetry.report((good,), width=True)
