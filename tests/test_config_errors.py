# ruff: noqa: E501  (a table reads best one case a line)
"""Bad grid configs: each stops the workflow before any job, with exit code 2 and one line
``config error: config key '<key>': <reason>`` naming the key.

Each config is the tiny grid's with one mistake, checked in process the way the Snakefile checks
it (two cases also through ``snakemake -n`` itself), in its own empty working folder. Some
mistakes are in the file's text (a key given twice, numbers YAML 1.1 reads otherwise, aliases
expanding to a billion values): those edit the text, the others the config. The tiny
grid's models and data and the folder around the working folder are snapshotted before the run
and compared after it: nothing outside the working folder is touched (a model named ``../x``
once wrote beside it), and inside it no job ran (no ``results/``, ``resources/`` or ``logs/``).
"""

import contextlib
import io
import json
import os
import subprocess
import sys
import time
from pathlib import Path

import pytest
import yaml
from tinygrid import make_tiny_grid

from prompt_recycling.checks import plan
from prompt_recycling.configcheck import config_errors_exit, load_config, validate
from prompt_recycling.settings import SCHEMA_PATH

ROOT = Path(__file__).resolve().parents[1]
SHA = "0" * 64


def rename_model(config: dict, old: str, new: str) -> None:
    config["models"][new] = config["models"].pop(old)
    grid = config["grid"]
    grid["models"] = [new if m == old else m for m in grid["models"]]
    grid["pairs"] = [[new if m == old else m for m in pair] for pair in grid["pairs"]]


def rename_dataset(config: dict, new: str) -> None:
    config["datasets"][new] = config["datasets"].pop("tiny-sst")
    config["grid"]["datasets"] = [new]


def setter(*keys, value):
    """An edit that sets ``config[k1][k2]...`` to ``value`` (made when missing)."""

    def edit(config):
        node = config
        for key in keys[:-1]:
            node = node.setdefault(key, {})
        node[keys[-1]] = value

    return edit


def deleter(*keys):
    def edit(config):
        node = config
        for key in keys[:-1]:
            node = node[key]
        del node[keys[-1]]

    return edit


def both(*edits):
    def edit(config):
        for e in edits:
            e(config)

    return edit


def local_csv(config):
    """An imdb-csv data set of 10 reviews (the fixture's; paths are relative to the working
    folder, ``<root>/cases/<case>/work``) whose splits ask for 13."""
    spec = config["datasets"]["tiny-sst"]
    spec["source"] = {"path": "../../../reviews.csv"}
    spec["format"] = "imdb-csv"
    spec["splits"] = {"train": 6, "validation": 2, "test": 5}


class Text:
    """An edit of the config file's text (``yaml.safe_dump`` of the tiny config)."""

    def __init__(self, old: str, new: str):
        self.old, self.new = old, new

    def __call__(self, text: str) -> str:
        assert self.old in text, self.old
        return text.replace(self.old, self.new, 1)


def as_json(text: str) -> str:
    """The config as JSON (which Snakemake reads first) with the seeds given twice."""
    return json.dumps(yaml.safe_load(text)).replace('"seeds": 1', '"seeds": 3, "seeds": 1')


LAUGHS = "lol0: &l0 [ha, ha, ha, ha, ha, ha, ha, ha, ha]\n" + "".join(
    f"lol{i}: &l{i} [{', '.join([f'*l{i - 1}'] * 9)}]\n" for i in range(1, 10)
)  # about 1 KB; 9**10 values with its aliases expanded
LAUGHS_MAPPING = (
    "lol0: &l0 {a: ha, b: ha, c: ha, d: ha, e: ha, f: ha, g: ha, h: ha, i: ha}\n"
    + "".join(
        f"lol{i}: &l{i} {{{', '.join(f'{k}: *l{i - 1}' for k in 'abcdefghi')}}}\n"
        for i in range(1, 10)
    )
)  # Snakemake's own merge of the config expands this one before the workflow starts
SEEDS, OFFSET = "  seeds: 1\n", "  word_offset: 20\n"
A, D = ("models", "tiny-a"), ("datasets", "tiny-sst")
NAN, INF = float("nan"), float("inf")
PYPI = {"pypi": {"artifacts": [{"package": "x", "version": "1"}], "members": ["*"]}}

# (id, edit of the tiny config, the key the line must name, a part of its reason)
CASES = [
    # unknown keys at every level: misspellings no longer fall back to defaults
    ("top-level typo", setter("tunning", value={"learning_rate": 0.1}), "tunning", "did you mean 'tuning'"),
    ("tuning typo", setter("tuning", "learing_rate", value=0.1), "tuning.learing_rate", "did you mean 'learning_rate'"),
    ("grid.seed", setter("grid", "seed", value=3), "grid.seed", "did you mean 'seeds'"),
    ("v2v-nn epoch", setter("recycling", "v2v-nn", "epoch", value=3), "recycling.v2v-nn.epoch", "did you mean 'epochs'"),
    ("unknown recycler settings", setter("recycling", "procrustes", value={}), "recycling.procrustes", "unknown key"),
    ("evaluation typo", setter("evaluation", "batchsize", value=8), "evaluation.batchsize", "did you mean 'batch_size'"),
    ("figures typo", setter("figures", "dpii", value=100), "figures.dpii", "did you mean 'dpi'"),
    ("analysis typo", setter("analysis", "confidence", value=0.9), "analysis.confidence", "unknown key"),
    ("model key typo", setter(*A, "titel", value="A"), "models.tiny-a.titel", "did you mean 'title'"),
    ("data set key typo", setter(*D, "lables", value=["a", "b"]), "datasets.tiny-sst.lables", "did you mean 'labels'"),
    ("source key typo", setter(*D, "source", "pth", value="x"), "datasets.tiny-sst.source.pth", "did you mean 'path'"),
    ("model tuning typo", setter(*A, "tuning", "lr", value=0.1), "models.tiny-a.tuning.lr", "unknown key"),
    ("lm loss on an encoder", both(setter("tuning", "loss", value="lm"), setter(*A, "architecture", value="encoder")), "tuning.loss", "models.tiny-a is an encoder"),
    ("splits typo", setter(*D, "splits", value={"dev": 3}), "datasets.tiny-sst.splits.dev", "unknown key"),
    # names become folders
    ("model name ../", lambda c: rename_model(c, "tiny-a", "../evil"), "models", "'../evil' is not allowed"),
    ("model name upper case", lambda c: rename_model(c, "tiny-a", "Tiny-A"), "models", "'Tiny-A' is not allowed"),
    ("data set name with /", lambda c: rename_dataset(c, "a/b"), "datasets", "'a/b' is not allowed"),
    ("data set name hidden", lambda c: rename_dataset(c, ".x"), "datasets", "'.x' is not allowed"),
    # grid axes
    ("duplicate pair", lambda c: c["grid"]["pairs"].append(["tiny-a", "tiny-b"]), "grid.pairs", "listed twice"),
    ("duplicate data set", setter("grid", "datasets", value=["tiny-sst", "tiny-sst"]), "grid.datasets", "listed twice"),
    ("duplicate recycler", setter("grid", "recyclers", value=["v2v-lin", "v2v-lin"]), "grid.recyclers", "listed twice"),
    ("duplicate word count", setter("grid", "vocab_sizes", value=[50, 50]), "grid.vocab_sizes", "listed twice"),
    ("duplicate model", setter("grid", "models", value=["tiny-a", "tiny-a", "tiny-b", "tiny-big"]), "grid.models", "listed twice"),
    ("unknown recycler", setter("grid", "recyclers", value=["v2v-lin", "magic"]), "grid.recyclers.1", "'magic' is not one of ['v2v-lin'"),
    ("pair with undefined model", setter("grid", "pairs", value=[["tiny-a", "ghost"]]), "grid.pairs", "'ghost' is not defined"),
    ("pair to itself", setter("grid", "pairs", value=[["tiny-a", "tiny-a"]]), "grid.pairs", "recycles a model to itself"),
    ("pair of three", setter("grid", "pairs", value=[["tiny-a", "tiny-b", "tiny-big"]]), "grid.pairs.0", "too long"),
    ("model in no pair", setter("grid", "pairs", value=[["tiny-a", "tiny-b"]]), "grid.models", "'tiny-big' is in no pair"),
    ("undefined data set", setter("grid", "datasets", value=["sst9"]), "grid.datasets", "'sst9' is not defined"),
    ("steps decreasing", setter("grid", "steps", value=[4, 2]), "grid.steps", "increasing"),
    ("steps empty", setter("grid", "steps", value=[]), "grid.steps", "should be non-empty"),
    ("negative step", setter("grid", "steps", value=[-1, 2]), "grid.steps.0", "less than the minimum of 0"),
    ("word count zero", setter("grid", "vocab_sizes", value=[0, 50]), "grid.vocab_sizes.0", "less than the minimum of 1"),
    ("default word count not swept", setter("grid", "default_vocab_size", value=70), "grid.default_vocab_size", "70 is not in vocab_sizes"),
    ("no seeds", setter("grid", "seeds", value=0), "grid.seeds", "less than the minimum of 1"),
    ("unknown sweep", setter("grid", "sweep", value="everything"), "grid.sweep", "is not one of"),
    ("grid steps missing", deleter("grid", "steps"), "grid.steps", "required, but missing"),
    ("validation step before the last step", setter("grid", "validation_steps", value=[3]), "grid.validation_steps", "after the last of grid.steps (4)"),
    ("validation step zero", setter("grid", "validation_steps", value=[0]), "grid.validation_steps.0", "less than the minimum of 1"),
    # values
    ("lr zero", setter("tuning", "learning_rate", value=0), "tuning.learning_rate", "less than or equal to the minimum of 0"),
    ("lr negative", setter("tuning", "learning_rate", value=-0.3), "tuning.learning_rate", "minimum of 0"),
    ("model lr zero", setter(*A, "tuning", "learning_rate", value=0), "models.tiny-a.tuning.learning_rate", "minimum of 0"),
    ("batch size zero", setter("tuning", "batch_size", value=0), "tuning.batch_size", "less than the minimum of 1"),
    ("batch size text", setter("evaluation", "batch_size", value="big"), "evaluation.batch_size", "is not of type 'integer'"),
    ("unknown optimizer", setter("tuning", "optimizer", value="sgd"), "tuning.optimizer", "'sgd' is not one of"),
    ("unknown init", setter("tuning", "init", value="zeros"), "tuning.init", "'zeros' is not one of"),
    ("epochs zero", setter("recycling", "v2v-nn", "epochs", value=0), "recycling.v2v-nn.epochs", "minimum of 1"),
    ("v2v-nn lr zero", setter("recycling", "v2v-nn", "learning_rate", value=0), "recycling.v2v-nn.learning_rate", "minimum of 0"),
    ("dpi zero", setter("figures", "dpi", value=0), "figures.dpi", "less than the minimum of 1"),
    ("width negative", setter("figures", "width", value=-4), "figures.width", "minimum of 0"),
    ("tolerance above 1", setter("analysis", "convergence_tolerance", value=2), "analysis.convergence_tolerance", "maximum of 1"),
    ("unknown split", setter("evaluation", "split", value="dev"), "evaluation.split", "'dev' is not one of"),
    ("prompt longer than positions", setter("tuning", "prompt_length", value=490), "tuning.prompt_length", "position"),
    # templates, sources, labels, splits
    ("model template without {text}", setter(*A, "template", value="Review:"), "models.tiny-a.template", "must contain {text}"),
    ("data set template without {text}", setter(*D, "template", value="Review: [X]"), "datasets.tiny-sst.template", "must contain {text}"),
    ("template with another field", setter(*D, "template", value="{text} {label}"), "datasets.tiny-sst.template", "must contain {text} once and no other field"),
    ("missing model path", setter(*A, "source", value={"path": "no/such/model"}), "models.tiny-a.source.path", "does not exist"),
    ("missing data path", setter(*D, "source", value={"path": "no/such/data"}), "datasets.tiny-sst.source.path", "does not exist"),
    ("two sources", setter(*A, "source", "hub", value="org/model"), "models.tiny-a.source", "needs exactly one of hub, path, pypi"),
    ("model without source", deleter(*A, "source"), "models.tiny-a.source", "required, but missing"),
    ("artifact without sha256", setter(*A, "source", value=PYPI), "models.tiny-a.source.pypi.artifacts.0", "needs sha256 or allow_unverified: true"),
    ("artifact sha256 not hex", setter(*A, "source", value={"pypi": {"artifacts": [{"package": "x", "version": "1", "sha256": "abc"}], "members": ["*"]}}), "models.tiny-a.source.pypi.artifacts.0.sha256", "does not match"),
    ("revision of a path", setter(*A, "source", "revision", value="v1"), "models.tiny-a.source.revision", "only hub sources"),
    ("convert a path source", setter(*A, "convert", value={"gguf": {"dtype": "float32"}}), "models.tiny-a.convert", "converts pypi sources only"),
    ("splits of a jsonl folder", setter(*D, "splits", value={"train": 10}), "datasets.tiny-sst.splits", "keeps its source's own splits"),
    ("hub format from a path", setter(*D, "format", value="hub-imdb"), "datasets.tiny-sst.source", "needs a hub source"),
    ("one label", setter(*D, "labels", value=["positive"]), "datasets.tiny-sst.labels", "is too short"),
    ("repeated labels", setter(*D, "labels", value=["good", "good"]), "datasets.tiny-sst.labels", "non-unique"),
    ("vader labels by other names", both(setter(*D, "format", value="vader-rt"), setter(*D, "labels", value=["bad", "good"])), "datasets.tiny-sst.labels", "must be negative and positive"),
    ("splits above the source", local_csv, "datasets.tiny-sst.splits", "more than the 10 examples"),
    ("not a mapping", setter("models", value=["tiny-a"]), "models", "is not of type 'object'"),
    # the file's text: read strictly (YAML 1.2 numbers, no repeated key, bounded aliases)
    ("key given twice", Text(SEEDS, "  seeds: 3\n" + SEEDS), "grid.seeds", "given twice (first on line"),
    ("key given twice in JSON", as_json, "seeds", "given twice"),
    ("sexagesimal 1:40", Text(SEEDS, "  seeds: 1:40\n"), "grid.seeds", "1:40 reads as 100 in YAML 1.1 (Snakemake's reader) but as '1:40' in YAML 1.2: quote it"),
    ("octal 025", Text(OFFSET, "  word_offset: 025\n"), "grid.word_offset", "025 reads as 21 in YAML 1.1 (Snakemake's reader) but as 25 in YAML 1.2"),
    ("octal 0o25", Text(OFFSET, "  word_offset: 0o25\n"), "grid.word_offset", "0o25 reads as '0o25' in YAML 1.1 (Snakemake's reader) but as 21 in YAML 1.2"),
    ("1e-5 is text in YAML 1.1", Text("  learning_rate: 0.05\n", "  learning_rate: 5e-2\n"), "tuning.learning_rate", "5e-2 reads as '5e-2' in YAML 1.1"),
    ("yes is true in YAML 1.1", Text("  validation: true\n", "  validation: yes\n"), "evaluation.validation", "yes reads as True in YAML 1.1"),
    ("billion laughs", Text("grid:\n", LAUGHS + "grid:\n"), "lol5", "more than 100,000 values with its aliases expanded"),
    ("billion laughs of mappings", Text("grid:\n", LAUGHS_MAPPING + "grid:\n"), "lol4", "more than 100,000 values with its aliases expanded"),
    ("alias of itself", Text("grid:\n", "loop: &loop [*loop]\ngrid:\n"), "loop.0", "an alias of a node within itself"),
    ("explicit python tag", Text(SEEDS, "  seeds: !!python/name:os.system\n"), "grid.seeds", "explicit tag !!python/name:os.system: only !!str is read"),
    # integers only: jsonschema alone takes 4.0 for an integer
    ("prompt length 4.0", setter("tuning", "prompt_length", value=4.0), "tuning.prompt_length", "4.0 is not of type 'integer'"),
    ("batch size 16.0", setter("tuning", "batch_size", value=16.0), "tuning.batch_size", "16.0 is not of type 'integer'"),
    ("word offset 1000.0", setter("grid", "word_offset", value=1000.0), "grid.word_offset", "1000.0 is not of type 'integer'"),
    ("epochs 2.0", setter("recycling", "v2v-nn", "epochs", value=2.0), "recycling.v2v-nn.epochs", "2.0 is not of type 'integer'"),
    ("step 2.0", setter("grid", "steps", value=[0, 2.0, 4]), "grid.steps.1", "2.0 is not of type 'integer'"),
    ("seeds true", setter("grid", "seeds", value=True), "grid.seeds", "True is not of type 'integer'"),
    # finite numbers only: a bound compared with NaN never fails
    ("learning rate .inf", setter("tuning", "learning_rate", value=INF), "tuning.learning_rate", "inf is not a finite number"),
    ("tolerance .nan", setter("analysis", "convergence_tolerance", value=NAN), "analysis.convergence_tolerance", "nan is not a finite number"),
    ("font size .nan", setter("figures", "font_size", value=NAN), "figures.font_size", "nan is not a finite number"),
    ("model lr -.inf", setter(*A, "tuning", "learning_rate", value=-INF), "models.tiny-a.tuning.learning_rate", "-inf is not a finite number"),
    # sizes: names become file names; grid sizes that would never finish
    ("model name of 65 characters", lambda c: rename_model(c, "tiny-a", "a" * 65), "models", "names have at most 64 characters"),
    ("data set name of 300 characters", lambda c: rename_dataset(c, "d" * 300), "datasets", "names have at most 64 characters"),
    ("run name of 65 characters", setter("run", value="r" * 65), "run", "is longer than 64 characters"),
    ("a million seeds", setter("grid", "seeds", value=1_000_000), "grid.seeds", "greater than the maximum of 100"),
    ("a billion random prompts", setter("grid", "random_prompts", value=1_000_000_000), "grid.random_prompts", "greater than the maximum of 1000"),
    ("two million words", setter("grid", "vocab_sizes", value=[50, 2_000_000]), "grid.vocab_sizes.1", "greater than the maximum of 1000000"),
    ("word offset of a billion", setter("grid", "word_offset", value=10**9), "grid.word_offset", "greater than the maximum of 1000000"),
    ("a hundred million steps", setter("grid", "steps", value=[0, 2, 10**8]), "grid.steps.2", "greater than the maximum of 10000000"),
    ("prompt of a million vectors", setter("tuning", "prompt_length", value=10**6), "tuning.prompt_length", "greater than the maximum of 10000"),
    # the validation split is scored by evaluation.validation, never by every evaluation
    ("split validation", setter("evaluation", "split", value="validation"), "evaluation.split", "'validation' is not allowed: every evaluation scores the test split; validation scores of the tuned prompts come from evaluation.validation: true"),
]  # fmt: skip


@pytest.fixture(scope="module")
def world(tmp_path_factory):
    root = tmp_path_factory.mktemp("configs")
    config = yaml.safe_load(make_tiny_grid(root / "tiny").read_text())
    lines = ["review,sentiment"] + [
        f"review number {i} is {'good' if i % 2 else 'bad'},{'positive' if i % 2 else 'negative'}"
        for i in range(10)
    ]
    (root / "reviews.csv").write_text("\n".join(lines) + "\n")
    return root, config


def snapshot(root: Path) -> dict:
    """Every path under ``root`` with its kind, size and modification time."""
    return {
        str(p): (p.is_dir(), p.lstat().st_size, p.lstat().st_mtime_ns)
        for p in [root, *sorted(root.rglob("*"))]
    }


def in_folder(path: Path):
    """Work in ``path`` for a while (configs name files relative to the working folder)."""
    import contextlib

    @contextlib.contextmanager
    def cd():
        before = os.getcwd()
        os.chdir(path)
        try:
            yield
        finally:
            os.chdir(before)

    return cd()


def bad_config(root: Path, base: dict, name: str, edit) -> tuple[Path, Path]:
    """The base config with one mistake (in its text: :class:`Text`, :func:`as_json`), written
    beside an empty working folder."""
    text = yaml.safe_dump(base, sort_keys=False)
    if isinstance(edit, Text) or edit is as_json:
        text = edit(text)
    else:
        config = yaml.safe_load(text)  # a deep copy
        edit(config)
        text = yaml.safe_dump(config)
    case = root / "cases" / name.replace(" ", "_").replace("/", "_").replace(":", "_")
    work = case / "work"
    work.mkdir(parents=True)
    (case / "bad.yaml").write_text(text)
    return case, work


def check_case(root: Path, base: dict, name: str, edit) -> dict:
    """What the Snakefile does before any job (the config file read strictly, then
    :func:`prompt_recycling.checks.plan`, under
    :func:`~prompt_recycling.configcheck.config_errors_exit`), in process."""
    case, work = bad_config(root, base, name, edit)
    beside = sorted(p.name for p in case.iterdir())
    out = io.StringIO()
    code = 0
    with in_folder(work), contextlib.redirect_stderr(out), contextlib.redirect_stdout(out):
        try:
            with config_errors_exit():
                plan(load_config(case / "bad.yaml"))
        except SystemExit as exc:
            code = exc.code
    return {
        "code": code,
        "lines": [line for line in out.getvalue().splitlines() if line.strip()],
        "beside_unchanged": sorted(p.name for p in case.iterdir()) == beside,
        "work": {p.name for p in work.iterdir()},
    }


@pytest.fixture(scope="module")
def runs(world):
    root, base = world
    before = snapshot(root / "tiny")
    results = {name: check_case(root, base, name, edit) for name, edit, *_ in CASES}
    return results, snapshot(root / "tiny") == before


def dry_run(case, work):
    """``snakemake -n`` on the case's bad.yaml in ``work``: the process and its non-blank lines."""
    done = subprocess.run(
        [sys.executable, "-m", "snakemake", "-s", str(ROOT / "Snakefile")]
        + ["--configfile", str(case / "bad.yaml"), "--cores", "1", "-n"],
        cwd=work,
        capture_output=True,
        text=True,
        timeout=300,
    )
    return done, [line for line in (done.stdout + done.stderr).splitlines() if line.strip()]


@pytest.mark.slow
def test_snakemake_stops_a_bad_config_before_any_job_with_one_line(world):
    """The same path through Snakemake itself, once: exit code 2, one line, nothing written."""
    root, base = world
    case, work = bad_config(
        root, base, "through snakemake", setter("tuning", "optimizer", value="sgd")
    )
    done, lines = dry_run(case, work)
    assert done.returncode == 2 and len(lines) == 1, lines
    assert lines[0].startswith("config error: config key 'tuning.optimizer': 'sgd' is not one of")
    assert not list(work.iterdir())


@pytest.mark.parametrize(
    ("name", "key", "reason"),
    [pytest.param(name, key, reason, id=name) for name, _, key, reason in CASES],
)
def test_bad_config_stops_before_any_job_with_one_line(runs, name, key, reason):
    results, models_and_data_untouched = runs
    run = results[name]
    assert run["code"] == 2, run["lines"]
    assert len(run["lines"]) == 1, run["lines"]
    line = run["lines"][0]
    print(line)  # pytest -rP lists the messages
    assert line.startswith(f"config error: config key '{key}'"), line
    assert reason in line, line
    assert not {"results", "resources", "logs"} & run["work"]  # no job ran
    assert run["beside_unchanged"] and models_and_data_untouched  # nothing outside touched


@pytest.mark.slow
def test_snakemake_reads_the_config_file_strictly(world):
    """Snakemake reads the file itself, where the second ``seeds`` silently wins; the Snakefile
    reads it again strictly and stops with one line naming the key and its lines."""
    root, base = world
    case, work = bad_config(
        root, base, "twice through snakemake", Text(SEEDS, "  seeds: 3\n" + SEEDS)
    )
    done, lines = dry_run(case, work)
    assert done.returncode == 2 and len(lines) == 1, lines
    first = (case / "bad.yaml").read_text().splitlines().index("  seeds: 3") + 1
    assert lines[0] == (
        f"config error: config key 'grid.seeds' (bad.yaml line {first + 1}): given twice "
        f"(first on line {first}); the second would silently win"
    )
    assert not list(work.iterdir())


def test_shipped_configs_read_alike_by_snakemake_and_strictly():
    """No false alarm: each shipped config means the same to YAML 1.1 (Snakemake's reader) and
    to the strict reader, and passes the schema."""
    for path in sorted((ROOT / "config").glob("*.yaml")):
        config = load_config(path)
        assert config == yaml.safe_load(path.read_text()), path.name
        validate(config, SCHEMA_PATH)


def test_what_both_readers_agree_on_is_read(tmp_path):
    """Quoted text, decimal numbers, 1.0e-5 and anchors with a merge key read as YAML 1.1 reads
    them; a bound at its largest passes."""
    text = (
        "a: '1:40'\nb: '025'\nc: 1.0e-5\nd: 0.5\ne: 100\nf: true\ng: null\n"
        "base: &base {x: 1, y: 2}\nh:\n  <<: *base\n  y: 3\n"
    )
    (tmp_path / "ok.yaml").write_text(text)
    read = load_config(tmp_path / "ok.yaml")
    assert read == yaml.safe_load(text)
    assert read["a"] == "1:40" and read["b"] == "025" and read["h"] == {"x": 1, "y": 3}
    start = time.perf_counter()
    (tmp_path / "bomb.yaml").write_text(LAUGHS)
    with pytest.raises(Exception, match="more than 100,000 values"):
        load_config(tmp_path / "bomb.yaml")
    assert time.perf_counter() - start < 1


def test_report_says_the_configs_convergence_tolerance():
    """The report's convergence text takes the tolerance that decided convergence."""
    import pandas as pd

    from prompt_recycling.analysis.learning import learning_section
    from prompt_recycling.analysis.report import _caveats

    table = pd.DataFrame(
        {"split": ["test", "test", "validation"], "condition": "tuned", "dataset": "d",
         "model": "m", "seed": 0, "step": [0, 2, 2], "accuracy": [0.5, 0.6, 0.6], "n": 10}
    )  # fmt: skip
    conv = pd.DataFrame(
        {"dataset": ["d"], "model": ["m"], "seed": [0], "converged": [True], "trained_past": [True]}
    )
    comp = pd.DataFrame(columns=["condition", "same_as", "top_label_share"])
    pairs = pd.DataFrame(columns=["source", "target", "median_row_cosine"])
    text = "\n".join(
        learning_section(table, conv, 0.05)
        + _caveats(table, comp, conv, pairs, pd.DataFrame(), 0.05)
    )
    assert text.count("within 5% ") == 2 and "2.25" not in text


def test_a_file_snakemake_read_but_that_is_not_yaml_is_one_line(tmp_path):
    """What Snakemake read but the strict reader cannot parse is worded in one line too."""
    from prompt_recycling.configcheck import check_files
    from prompt_recycling.errors import RecyclingError

    (tmp_path / "bad.yaml").write_text("grid: {seeds: [1, 2}\n")
    with pytest.raises(RecyclingError, match=r"^config \(bad.yaml line 1\): not valid YAML: "):
        check_files([tmp_path / "bad.yaml"])
