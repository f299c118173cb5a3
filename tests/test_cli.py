"""The `micrograd-like` command line, end to end on the installed package."""

from __future__ import annotations

import os
import re
import subprocess
import sys
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest
from cli_run import SCRIPT, in_process, ok, run, usage_error
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st


def svg_root(path: Path) -> ET.Element:
    root = ET.parse(path).getroot()
    assert root.tag == "{http://www.w3.org/2000/svg}svg"
    return root


# -- draw -----------------------------------------------------------------------------------


def test_draw_prints_values_and_gradients_and_writes_svg(tmp_path):
    result = run("draw", "tanh(a*b + c)", "a=2", "b=-3", "c=10", "--out", "g.svg", cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    lines = result.stdout.splitlines()
    assert lines[0] == "tanh(a*b + c) = 0.999329"
    rows = {line.split()[0]: line.split()[1:] for line in lines[2:5]}
    slope = 1 - 0.999329299739067**2
    assert float(rows["a"][0]) == 2 and float(rows["a"][1]) == pytest.approx(-3 * slope, rel=1e-5)
    assert float(rows["b"][1]) == pytest.approx(2 * slope, rel=1e-5)
    assert float(rows["c"][1]) == pytest.approx(slope, rel=1e-5)
    svg = svg_root(tmp_path / "g.svg")
    texts = "".join(svg.itertext())
    assert "tanh" in texts and "a" in texts
    assert (tmp_path / "g.gv").read_text().startswith("digraph")


def test_draw_via_python_dash_m_and_gv_format(tmp_path):
    result = subprocess.run(
        [sys.executable, "-m", "micrograd_like", "draw", "x*x + x", "x=3", "--format", "gv", "--out", "sq"],
        cwd=tmp_path,
        capture_output=True,
        text=True,
    )
    assert result.returncode == 0, result.stderr
    assert "x" in result.stdout and " 7" in result.stdout  # d/dx (x*x + x) = 2x + 1 = 7
    assert sorted(p.name for p in tmp_path.iterdir()) == ["sq.gv"]


def test_draw_identical_gradients_are_coloured(tmp_path):
    code, out, err = in_process("draw", "a*b + b*a", "a=2", "b=2", "--format", "gv", "--out", str(tmp_path / "g"))
    assert code == 0, err
    source = (tmp_path / "g.gv").read_text()
    assert "x 2" in source or "× 2" in source or "2 nodes" in source  # the legend counts the shared gradient


def test_draw_highlight_all_colours_the_groups_of_intermediate_nodes_too(tmp_path):
    # a*b and b*a receive the + node's gradient: an intermediate group, plain unless --highlight all
    args = ("draw", "a*b + b*a", "a=2", "b=3", "--format", "gv")
    assert in_process(*args, "--out", str(tmp_path / "plain"))[0] == 0
    assert in_process(*args, "--out", str(tmp_path / "all"), "--highlight", "all")[0] == 0
    plain, every = (tmp_path / "plain.gv").read_text(), (tmp_path / "all.gv").read_text()
    assert "not coloured: 1 group of equal gradients" in plain and "--highlight all" in plain
    assert "not coloured" not in every and every.count("grad-group-") > plain.count("grad-group-")
    code, _, err = in_process(*args, "--highlight", "some")
    assert code == 2 and "invalid choice" in err


@pytest.mark.parametrize(
    "args, message",
    [
        (["draw", "__import__('os').system('touch pwned')"], "not allowed"),
        (["draw", "a.b", "a=1"], "attribute access"),
        (["draw", "a + b", "a=1"], "'b' has no value"),
        (["draw", "a", "a=1", "a=2"], "given twice"),
        (["draw", "a", "a=x"], "must be a number"),
        (["draw", "log(a)", "a=-1"], "log"),
        (["draw", "a", "a=1", "--out", "x.png", "--format", "svg"], "make them agree"),
        (["draw", "a*" * 1200 + "a", "a=1"], "limit"),
        (["train", "mnist"], "invalid choice"),
        (["train", "moons", "--hidden", "16,x"], "layer widths"),
        (["train", "moons", "--steps", "-3"], ">= 0"),
        (["symmetry", "--init", "zeros"], "invalid choice"),
        (["symmetry", "--lr", "nan"], "finite"),
        (["nonsense"], "invalid choice"),
    ],
)
def test_usage_errors_exit_2_with_one_message_and_no_traceback(tmp_path, args, message):
    assert message in usage_error(*args, cwd=tmp_path)


def test_every_command_has_help_with_an_example(tmp_path):
    for args in ([], ["symmetry"], ["draw"], ["train"]):
        result = run(*args, "--help", cwd=tmp_path)
        assert result.returncode == 0
        assert "example" in result.stdout and "micrograd-like" in result.stdout


_snippets = st.sampled_from(
    [
        "__import__('os').system('touch x')",
        "open('x', 'w')",
        "a.__class__.__mro__",
        "[a for a in b]",
        "lambda: a",
        "a[0]",
        "exec('1')",
        "a if b else a",
        "{}",
        "()",
        "a; b",
        "import os",
        "x = 1",
        "'s' * 3",
        "b'x'",
        "a @ b",
        "a << b",
        "1 < a",
        "not a",
        "print(a)",
        "getattr(a, 'data')",
        "globals()",
        "exp(a",
        "a ** b ** 2",
        "relu(a - b) / sigmoid(b)",
        "log(a) + tanh(b)",
    ]
)


_values = st.sampled_from(["0", "-0.0", "1", "-1", "0.5", "2", "1e300", "-1e-300", "nan", "709.8"])


@settings(max_examples=60, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    text=st.one_of(
        st.text(max_size=40), _snippets, st.builds("{} {} {}".format, _snippets, st.sampled_from("+-*/"), _snippets)
    ),
    a=_values,
    b=_values,
)
def test_draw_fuzz_computes_or_refuses_with_exit_2_and_no_side_effect(tmp_path_factory, text, a, b):
    folder = tmp_path_factory.mktemp("fuzz")
    cwd = os.getcwd()
    os.chdir(folder)
    try:
        # main() must return, never raise: an escaping exception is a traceback.
        code, out, err = in_process("draw", text, f"a={a}", f"b={b}", "--format", "gv")
    finally:
        os.chdir(cwd)
    assert code in (0, 2), err
    if code == 2:
        assert list(folder.iterdir()) == [] and out == ""
        assert err.startswith("micrograd-like draw: error: ") or "usage:" in err
    else:
        assert [p.name for p in folder.iterdir()] == ["micrograd-graphs"]
        assert "gradient" in out


# -- train -----------------------------------------------------------------------------------------


@pytest.mark.slow
def test_train_moons_prints_loss_and_accuracy_and_draws(tmp_path):
    result = run("train", "moons", "--steps", "30", "--hidden", "8,8", "--out", "out", cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    assert "final loss" in result.stdout and "training accuracy" in result.stdout
    accuracy = float(result.stdout.split("training accuracy ")[1].split("%")[0])
    assert accuracy >= 85
    assert "\r" not in result.stderr  # no progress bar when stderr is not a terminal
    svg = svg_root(tmp_path / "out" / "moons_network.svg")
    assert len(list(svg.iter("{http://www.w3.org/2000/svg}g"))) > 20


# -- symmetry ---------------------------------------------------------------------------------------


def test_symmetry_prints_the_same_numbers_as_the_example_and_writes_pictures(tmp_path):
    result = run("symmetry", cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    example = subprocess.run(
        [sys.executable, str(Path(__file__).parents[1] / "examples" / "symmetry.py")],
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    # The example's table rows (outputs, costs, symmetric groups) appear verbatim.
    for line in example.splitlines():
        if line.startswith(("observation ", "cost after", "interchangeable hidden neurons", "max |output")):
            row = line.split("  ")[0]
            assert row in result.stdout
            ours = next(out for out in result.stdout.splitlines() if out.startswith(row))
            assert ours.split()[len(row.split()) :][:2] == line.split()[len(row.split()) :][:2]
    assert "before training: layer 0: neurons [0, 1, 2]; layer 1: neurons [0, 1, 2]" in result.stdout
    assert "after training:  layer 0: neurons [0, 1, 2]; layer 1: neurons [0, 1, 2]" in result.stdout
    assert "  before training: none" in result.stdout
    assert "same gradient" in result.stdout  # the one plain sentence on why
    out = tmp_path / "micrograd-graphs"
    names = {p.name for p in out.iterdir()}
    for stem in (
        "graph_first_backward",
        "network_constant_before",
        "network_constant_after",
        "network_random_before",
        "network_random_after",
    ):
        assert {f"{stem}.gv", f"{stem}.svg"} <= names
        svg_root(out / f"{stem}.svg")
    constant_text = "".join(svg_root(out / "network_constant_after.svg").itertext())
    random_text = "".join(svg_root(out / "network_random_after.svg").itertext())
    assert "identical gradients forever" in constant_text
    assert "identical gradients forever" not in random_text
    assert "no interchangeable neurons" in random_text


def test_symmetry_without_graphviz_still_succeeds_and_says_so_once(tmp_path):
    env = {**os.environ, "PATH": str(Path(SCRIPT).parent)}  # no dot on this PATH
    result = run("symmetry", "--steps", "10", "--out", "pics", cwd=tmp_path, env=env)
    assert result.returncode == 0, result.stderr
    assert result.stderr.count("apt-get install graphviz") == 1
    names = sorted(p.name for p in (tmp_path / "pics").iterdir())
    assert names and all(name.endswith(".gv") for name in names)
    assert len(names) == 5


@pytest.mark.slow
def test_symmetry_options_change_the_run(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    code, out, err = in_process(
        "symmetry", "--init", "xavier", "--seed", "3", "--steps", "50", "--lr", "0.5", "--out", "x"
    )
    assert code == 0, err
    header = out.splitlines()[2]
    assert "random (xavier, seed 3)" in header and "constant 1" in header
    assert header.index("xavier") < header.index("constant")  # the chosen start comes first
    assert "lr = 0.5, 50 steps" in out
    code, out, err = in_process("symmetry", "--value", "0.5", "--steps", "0", "--out", "y")
    assert code == 0 and "constant 0.5" in out
    # A negative value in exponent form is a value, not an unknown option.
    code, out, err = in_process("symmetry", "--value", "-1e-3", "--steps", "0", "--out", "y")
    assert code == 0 and "constant -0.001" in out, err


@pytest.mark.parametrize(
    "formula, values",
    [("x**0.5", ["x=0"]), ("x**-1", ["x=1e-200"]), ("x**y", ["x=0", "y=0.5"])],
)
def test_draw_failing_backward_is_a_usage_error_not_a_traceback(tmp_path, formula, values):
    assert "cannot differentiate" in usage_error("draw", formula, *values, "--format", "gv", cwd=tmp_path)


def test_draw_into_a_folder_and_unicode_names(tmp_path):
    (tmp_path / "pics").mkdir()
    code, out, err = in_process("draw", "\ufb01 * 2", "\ufb01=3", "--format", "gv", "--out", str(tmp_path / "pics"))
    assert code == 0, err
    assert (tmp_path / "pics" / "fi_times_2.gv").exists()  # named after the formula
    assert "fi" in out and " 2" in out  # the NFKC name, and its gradient


# -- the command line as a newcomer meets it (issue 8, section 6) --------------------------------------


def test_version():
    import micrograd_like

    result = run("--version", cwd=Path.cwd())
    assert result.returncode == 0 and result.stdout.strip() == f"micrograd-like {micrograd_like.__version__}"


def test_draw_names_the_picture_after_the_formula_and_titles_it(tmp_path):
    result = run("draw", "tanh(a*b + c)", "a=2", "b=-3", "c=10", cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    folder = tmp_path / "micrograd-graphs"
    assert sorted(p.name for p in folder.iterdir()) == ["tanh_a_times_b_plus_c.gv", "tanh_a_times_b_plus_c.svg"]
    assert (
        "wrote micrograd-graphs/tanh_a_times_b_plus_c.gv, micrograd-graphs/tanh_a_times_b_plus_c.svg" in result.stdout
    )
    texts = [t.strip() for t in svg_root(folder / "tanh_a_times_b_plus_c.svg").itertext()]
    assert "tanh(a*b + c)" in texts  # the title


def test_formula_file_names_are_portable_and_distinct():
    from micrograd_like._cli.files import MAX_STEM, formula_stem

    assert formula_stem("x**2 / (1 + exp(-x))") == "x_pow_2_over_1_plus_exp_minus_x"
    assert formula_stem("é*2") == "e_times_2"
    assert formula_stem("θ") == "expression"
    long_a, long_b = "a*" * 100 + "a", "a*" * 100 + "b"
    assert formula_stem(long_a) != formula_stem(long_b)
    assert max(len(formula_stem(long_a)), len(formula_stem(long_b))) <= MAX_STEM


def test_draw_refuses_a_suffix_graphviz_cannot_write_with_exit_2(tmp_path):
    result = run("draw", "x*2", "x=1", "--out", "a.docx", cwd=tmp_path)
    assert result.returncode == 2 and result.stdout == ""
    assert "cannot write a.docx" in result.stderr and "--format" in result.stderr and "format=" not in result.stderr
    assert list(tmp_path.iterdir()) == []


def test_draw_writes_the_format_its_suffix_names(tmp_path):
    result = run("draw", "x*2", "x=1", "--out", "a.jpg", cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    assert (tmp_path / "a.jpg").read_bytes()[:2] == b"\xff\xd8"  # a JPEG, not a.jpg.svg
    assert not (tmp_path / "a.jpg.svg").exists()


@pytest.mark.parametrize("command", [["draw", "x", "x=1", "--out"], ["symmetry", "--steps", "0", "--out"]])
def test_no_new_folders_outside_the_current_one(tmp_path, command):
    cwd, elsewhere = tmp_path / "here", tmp_path / "elsewhere"
    cwd.mkdir()
    elsewhere.mkdir()
    result = run(*command, str(elsewhere / "new" / "g.svg"), cwd=cwd)
    assert result.returncode == 2 and "does not exist and is outside the current folder" in result.stderr
    assert list(elsewhere.iterdir()) == [] and list(cwd.iterdir()) == []
    # An existing folder outside, and a new one inside, are fine.
    assert run("draw", "x", "x=1", "--format", "gv", "--out", str(elsewhere) + "/", cwd=cwd).returncode == 0
    assert run("draw", "x", "x=1", "--format", "gv", "--out", "new/deeper/g.gv", cwd=cwd).returncode == 0
    assert (elsewhere / "x.gv").exists() and (cwd / "new" / "deeper" / "g.gv").exists()


def test_usage_hints_speak_the_command_lines_language(tmp_path):
    result = run("draw", "x*x*x", "x=1", "--max-nodes", "2", cwd=tmp_path)
    assert result.returncode == 2
    # Three Values: x, x*x and x*x*x.
    assert "more than --max-nodes 2" in result.stderr and "pass --max-nodes 3" in result.stderr
    assert "max_nodes=" not in result.stderr
    result = run("draw", "-x*2", "x=1", "--format", "gv", cwd=tmp_path)
    assert result.returncode == 2 and "Traceback" not in result.stderr
    assert 'micrograd-like draw --format gv -- "-x*2" x=1' in result.stderr
    fixed = run("draw", "--format", "gv", "--", "-x*2", "x=1", cwd=tmp_path)
    assert fixed.returncode == 0 and "-x*2 = -2" in fixed.stdout


@pytest.mark.parametrize(
    "formula, values, message",
    [
        ("1e308*1e308", [], "1e308*1e308 is inf"),  # a result
        ("x*10", ["x=1e308"], "x*10 is inf"),
        ("exp(x) - exp(x)", ["x=710"], "exp"),
        ("1e999*x", ["x=1"], "beyond the float range"),  # a literal
        ("1" + "0" * 400 + "*x", ["x=1"], "beyond the float range"),
        ("x", ["x=inf"], "finite"),  # a variable
        ("x", ["x=nan"], "the value of x is nan"),
        ("log(x)", ["x=5e-324"], "the gradient of x is inf"),  # a gradient
    ],
)
def test_one_rule_for_numbers_every_one_finite(tmp_path, monkeypatch, formula, values, message):
    monkeypatch.chdir(tmp_path)
    code, out, err = in_process("draw", formula, *values, "--format", "gv")
    assert code == 2 and out == "" and message in err, err
    assert list(tmp_path.iterdir()) == []
    code, out, err = in_process("draw", "1e308*1.5 - 1e308", "--format", "gv")  # large but finite: fine
    assert code == 0 and out.startswith("1e308*1.5 - 1e308 = 5e+307"), err


def test_values_may_come_after_options(tmp_path):
    result = run("draw", "a*b", "--format", "gv", "a=2", "b=3", cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    assert re.search(r"^a\s+2\s+3$", result.stdout, re.M) and re.search(r"^b\s+3\s+2$", result.stdout, re.M)
    wrong = run("draw", "a*b", "a=2", "--bogus", "b=3", cwd=tmp_path)
    assert wrong.returncode == 2 and "unrecognized arguments: --bogus" in wrong.stderr


# -- compiled steps by default, --eager keeps the old path -------------------------------------------------


def outputs(*args: str, cwd: Path) -> tuple[str, dict[str, str]]:
    """stdout and the DOT source of every picture (they show weights and gradients)."""
    cwd.mkdir()
    out = ok(*args, "--out", "pics", cwd=cwd)
    return out, {p.name: p.read_text(encoding="utf-8") for p in sorted((cwd / "pics").glob("*.gv"))}


@pytest.mark.slow
@pytest.mark.parametrize("options", [[], ["--init", "xavier", "--seed", "3", "--lr", "0.5"], ["--value", "0.5"]])
def test_symmetry_output_is_identical_with_and_without_eager(tmp_path, options):
    compiled = outputs("symmetry", "--steps", "40", *options, cwd=tmp_path / "compiled")
    eager = outputs("symmetry", "--steps", "40", *options, "--eager", cwd=tmp_path / "eager")
    assert compiled == eager
    assert len(compiled[1]) == 5 and "cost after 40 steps" in compiled[0]


@pytest.mark.slow
def test_train_moons_output_is_identical_with_and_without_eager(tmp_path):
    options = ["--steps", "3", "--hidden", "4,4", "--seed", "2"]
    compiled = outputs("train", "moons", *options, cwd=tmp_path / "compiled")
    eager = outputs("train", "moons", *options, "--eager", cwd=tmp_path / "eager")
    assert compiled == eager
    assert "final loss" in compiled[0] and list(compiled[1]) == ["moons_network.gv"]


def test_eager_is_documented_in_help(tmp_path):
    for command in (["symmetry"], ["train"]):
        assert "--eager" in ok(*command, "--help", cwd=tmp_path)
