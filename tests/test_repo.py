"""The README's two commands exist, and CI runs the README's test command, not a copy; the
package's shape: small modules, no import cycle, scripts that are handed only what their rule
declares."""

import ast
import re
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parents[1]


def readme_commands():
    text = (ROOT / "README.md").read_text()
    block = re.search(r"<!-- setup -->\s*```bash\n(.*?)```", text, re.S)
    assert block, "README.md must hold the set-up block after <!-- setup -->"
    lines = (line.split(" #")[0].strip() for line in block.group(1).splitlines())
    return [line for line in lines if line and not line.startswith("#")]


def test_readme_has_exactly_two_setup_commands_and_ci_runs_the_test_one():
    main_cmd, test_cmd = readme_commands()
    assert "main" in main_cmd and "test" in test_cmd
    ci = [
        line
        for line in (ROOT / ".ci/run").read_text().splitlines()
        if line and not line.startswith(("#", "set ", "cd ", "trap "))
    ]
    # CI starts the local SLURM cluster, opts in to the cluster tests, runs the test command
    assert ci == [
        "bash scripts/slurm-local.sh start",
        "export PROMPT_RECYCLING_SLURM_TESTS=1",
        test_cmd,
    ]
    for cmd in (main_cmd, test_cmd):
        assert (ROOT / cmd.split()[1]).is_file()


def test_readme_is_short_and_every_link_of_it_and_docs_resolves():
    readme = ROOT / "README.md"
    assert len(readme.read_text().splitlines()) <= 150, "details belong in docs/"
    pages = [readme, *sorted((ROOT / "docs").glob("*.md"))]
    linked = set()
    for page in pages:
        for target in re.findall(r"\]\(([^)#\s]+)\)", page.read_text()):
            if not target.startswith(("http://", "https://")):
                path = (page.parent / target).resolve()
                assert path.exists(), f"{page.name} links to {target}, which does not exist"
                linked.add(path)
    assert set(pages[1:]) <= linked, "every page of docs/ is linked from somewhere"


def test_gitignore_keeps_generated_trees_out_and_bench_results_in():
    ignored = (ROOT / ".gitignore").read_text().split()
    for entry in ["/results/", "/resources/", "/logs/", ".snakemake/", ".venv/"]:
        assert entry in ignored
    assert (ROOT / "bench/results/calibrate_tuning.md").is_file()  # anchored: not ignored


def test_license_and_citation_agree_with_pyproject():
    import tomllib

    meta = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    assert meta["license"]["text"] == "Apache-2.0"
    assert (
        "Apache License\n                           Version 2.0" in (ROOT / "LICENSE").read_text()
    )
    citation = yaml.safe_load((ROOT / "CITATION.cff").read_text())
    assert citation["license"] == "Apache-2.0" and citation["version"] == meta["version"]
    paper = citation["preferred-citation"]
    assert paper["title"] == "Reducing Retraining by Recycling Parameter-Efficient Prompts"
    assert "arXiv:2208.05577" in [i["value"] for i in paper["identifiers"]]


PACKAGE = ROOT / "src/prompt_recycling"


def module_name(path: Path) -> str:
    parts = path.relative_to(PACKAGE.parent).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def import_graph() -> dict[str, set[str]]:
    """Module -> the package modules it imports (at the top or inside functions)."""
    modules = {module_name(p): p for p in PACKAGE.rglob("*.py")}
    graph = {}
    for name, path in modules.items():
        edges = set()
        package = name if path.name == "__init__.py" else name.rpartition(".")[0]
        for node in ast.walk(ast.parse(path.read_text())):
            if isinstance(node, ast.Import):
                targets = [a.name for a in node.names]
            elif isinstance(node, ast.ImportFrom):
                base = node.module or ""
                if node.level:  # relative: from the importing module's package
                    base = ".".join(package.split(".")[: len(package.split(".")) - node.level + 1])
                    base = f"{base}.{node.module}" if node.module else base
                targets = [f"{base}.{a.name}" for a in node.names] + [base]
            else:
                continue
            edges |= {t for t in targets if t in modules and t != name}
        graph[name] = edges
    return graph


def test_package_modules_are_at_most_300_lines():
    long = {
        str(p.relative_to(ROOT)): n
        for p in PACKAGE.rglob("*.py")
        if (n := len(p.read_text().splitlines())) > 300
    }
    assert not long, long


def test_no_import_cycle():
    graph = import_graph()
    assert graph["prompt_recycling.plan"] >= {"prompt_recycling.paths"}  # the graph is read
    state: dict[str, str] = {}

    def visit(node, stack):
        state[node] = "open"
        for nxt in sorted(graph[node]):
            if state.get(nxt) == "open":
                raise AssertionError(" -> ".join([*stack[stack.index(nxt) :], nxt]))
            if nxt not in state:
                visit(nxt, [*stack, nxt])
        state[node] = "done"

    for module in sorted(graph):
        if module not in state:
            visit(module, [module])


def test_no_private_name_is_imported_from_another_module():
    """Modules meet at public names: an underscore name imported across modules (the package,
    its benches and the workflow's scripts) is a seam that a split or a rename breaks."""
    found = []
    scripts = (ROOT / "workflow/scripts").glob("*.py")
    for path in [*PACKAGE.rglob("*.py"), *(ROOT / "bench").glob("*.py"), *scripts]:
        for node in ast.walk(ast.parse(path.read_text())):
            ours = isinstance(node, ast.ImportFrom) and (
                node.level > 0 or (node.module or "").startswith("prompt_recycling")
            )
            if ours:
                found += [
                    f"{path.relative_to(ROOT)}: {a.name}"
                    for a in node.names
                    if a.name.startswith("_") and not a.name.startswith("__")
                ]
    assert found == []


def test_job_functions_of_many_arguments_take_them_by_name():
    """A job with many paths and settings, called positionally, would take a swapped source
    and target silently: past four parameters a job function's are keyword-only."""
    loose = []
    for path in sorted((PACKAGE / "jobs").glob("*.py")):
        for node in ast.parse(path.read_text()).body:
            if isinstance(node, ast.FunctionDef) and not node.name.startswith("_"):
                if len(node.args.posonlyargs + node.args.args) > 4:
                    loose.append(f"{path.name}: {node.name}")
    assert loose == []


LAYERS = {  # bottom to top: a module imports from its own layer and those below only
    "core": "errors settings paths progress device fsutil configyaml configcheck stats logistic "
    "predictions modelinfo wordlist examples prompt_io resume pairs",
    "ml": "embeddings vocab models recyclers evaluate tune transfer diagnostics scorecache "
    "convert tiny",
    "analysis": "analysis",
    "workflow": "fetch fingerprint keys gridfiles plan axes checks status smkdag damage verify "
    "locate smk condaenv jobs",
    "cli": "cli demo",
}


def test_no_module_imports_from_a_layer_above():
    """The ML core, the analysis and the workflow plumbing stay apart: the analysis reads rows
    and never trains, the ML core never plans a grid, nothing below the CLI parses arguments."""
    rank = {m: i for i, names in enumerate(LAYERS.values()) for m in names.split()}
    graph = import_graph()

    def top(module: str) -> str:
        return module.split(".")[1]

    inner = [m for m in graph if m != "prompt_recycling"]
    assert sorted({top(m) for m in inner} - set(rank)) == [], "a module without a layer"
    upward = [
        f"{m} -> {n}"
        for m in inner
        for n in sorted(graph[m])
        if n != "prompt_recycling" and rank[top(n)] > rank[top(m)]
    ]
    assert upward == []


def test_scripts_take_what_their_rule_declares_not_the_config():
    for script in sorted((ROOT / "workflow/scripts").glob("*.py")):
        text = script.read_text()
        assert ".config" not in text, f"{script.name} reads the whole config"
        assert len(text.splitlines()) <= 30, f"{script.name} is more than a thin adapter"


def test_profiles_name_only_rules_the_workflow_has():
    rules = set()
    for smk in [ROOT / "Snakefile", *(ROOT / "workflow/rules").glob("*.smk")]:
        rules |= set(re.findall(r"^rule (\w+):", smk.read_text(), re.M))
    assert {"train_prompts", "evaluate_baseline", "all"} <= rules
    for profile in sorted((ROOT / "profiles").glob("*/config.yaml")):
        settings = yaml.safe_load(profile.read_text())
        named = set(settings.get("set-threads") or {}) | set(settings.get("set-resources") or {})
        assert named <= rules, f"{profile.parent.name}: no rule {sorted(named - rules)}"


def pins(lines) -> dict[str, str]:
    """``name==version`` lines (options and comments skipped), by canonical name."""
    out = {}
    for line in lines:
        line = line.split("#")[0].strip()
        if "==" in line and not line.startswith("-"):
            name, version = line.split("==")
            out[re.sub(r"[-_.]+", "-", name).lower()] = version
    return out


def test_conda_envs_pin_what_ci_tested_within_pyproject_ranges():
    import tomllib

    from packaging.requirements import Requirement

    deps = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]["dependencies"]
    ranges = {re.sub(r"[-_.]+", "-", Requirement(d).name).lower(): Requirement(d) for d in deps}
    tested = pins((ROOT / "constraints.txt").read_text().splitlines())
    for env_file in ("prompt-recycling.yaml", "prompt-recycling-gpu.yaml"):
        env = yaml.safe_load((ROOT / "envs" / env_file).read_text())
        pip = next(d["pip"] for d in env["dependencies"] if isinstance(d, dict))
        pinned = pins(pip)
        assert set(pinned) == set(ranges), env_file  # the same packages as pyproject.toml
        for name, version in pinned.items():
            assert ranges[name].specifier.contains(version, prereleases=True), (name, version)
            if name != "torch":  # torch: bootstrap installs the CPU or CUDA build itself
                assert tested[name] == version, (
                    f"{env_file}: {name} {version} is not what CI tested"
                )
        assert "-e ../[gguf]" in pip and "-c ../constraints.txt" in pip
    cpu = yaml.safe_load((ROOT / "envs/prompt-recycling.yaml").read_text())["dependencies"][-1]
    assert any("download.pytorch.org/whl/cpu" in p for p in cpu["pip"])  # never the CUDA build
    assert all(
        ranges[n].specifier.contains(v, prereleases=True) for n, v in tested.items() if n in ranges
    )
