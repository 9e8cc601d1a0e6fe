"""deploy/Dockerfile read statically (docker cannot run here): base image, user, health check,
what it copies and what the build context sends, the handlers it checks at build time, and the
size of the dependency set it installs against Lambda's image limit. The entry point script is
run for real with a stand-in for python."""

from __future__ import annotations

import fnmatch
import os
import subprocess
import tomllib
from importlib import metadata
from pathlib import Path

import pytest
from packaging.requirements import Requirement

from tests.deploy.cfn import DEPLOY, expand

ROOT = DEPLOY.parent
LAMBDA_IMAGE_LIMIT = 10 * 1024**3  # bytes, uncompressed, all layers
IMAGE_BUDGET = 1024**3  # ours: a bigger image is slower to pull on a cold start


@pytest.fixture(scope="module")
def dockerfile():  # noqa: ANN201 - dockerfile_parse has no types
    from dockerfile_parse import DockerfileParser

    return DockerfileParser(path=str(DEPLOY / "Dockerfile"))


def _instructions(dockerfile, name: str) -> list[str]:  # noqa: ANN001
    return [i["value"] for i in dockerfile.structure if i["instruction"] == name]


def _pyproject() -> dict:
    return tomllib.loads((ROOT / "pyproject.toml").read_text())


def test_base_image_is_the_projects_python_from_a_registry_aws_pulls_without_limits(dockerfile) -> None:  # noqa: ANN001
    base = dockerfile.baseimage
    assert base.startswith("public.ecr.aws/docker/library/python:")  # no Docker Hub rate limit in CodeBuild
    version = base.split(":")[1]
    assert version.startswith("3.11-") and version.endswith("-bookworm")  # requires-python, a pinned distro
    assert _pyproject()["project"]["requires-python"] == ">=3.11"


def test_runs_as_nobody_with_a_health_check_and_the_entry_point(dockerfile) -> None:  # noqa: ANN001
    order = [i["instruction"] for i in dockerfile.structure if i["instruction"] != "COMMENT"]
    assert _instructions(dockerfile, "USER") == ["nobody"]
    assert order.index("USER") > max(i for i, name in enumerate(order) if name == "RUN")  # nothing runs as root after
    [health] = _instructions(dockerfile, "HEALTHCHECK")
    assert "--timeout=" in health and '"/app/deploy/healthcheck.py"' in health
    assert _instructions(dockerfile, "ENTRYPOINT") == ['["/app/deploy/entrypoint.sh"]']
    assert _instructions(dockerfile, "CMD") == ['["athena-bot", "worker"]']
    # matplotlib's cache: built at build time, used from a writable place at run time
    env = dockerfile.envs
    assert env["MPLCONFIGDIR"].startswith("/tmp/") and env["ATHENA_BOT_MPL_CACHE"].startswith("/opt/")
    [run] = _instructions(dockerfile, "RUN")
    assert f"MPLCONFIGDIR={env['ATHENA_BOT_MPL_CACHE']} python -c \"import matplotlib.font_manager\"" in run
    assert env["ATHENA_BOT_BACKEND"] == "aws"


def _copied(dockerfile) -> list[str]:  # noqa: ANN001
    sources = []
    for value in _instructions(dockerfile, "COPY"):
        parts = value.split()
        assert not parts[0].startswith("--from"), value
        sources += parts[:-1]
    return sources


def test_every_copied_path_exists_and_covers_the_packages(dockerfile) -> None:  # noqa: ANN001
    sources = _copied(dockerfile)
    for source in sources:
        assert (ROOT / source).exists(), source
    packages = [p.rstrip("*") for p in _pyproject()["tool"]["setuptools"]["packages"]["find"]["include"]]
    assert set(packages) <= set(sources)
    assert {"pyproject.toml", "README.md"} <= set(sources)  # the build reads both (readme = README.md)
    mode = subprocess.run(["git", "ls-files", "-s", "deploy/entrypoint.sh"], cwd=ROOT, capture_output=True,
                          text=True, check=True).stdout.split()[0]
    assert mode == "100755"  # executable in every clone; the image chmods it too


def _ignored(path: str, patterns: list[str]) -> bool:
    """Docker's rule: the last pattern matching the path or one of its parents decides."""
    parents = [str(Path(*Path(path).parts[:n])) for n in range(1, len(Path(path).parts) + 1)]
    verdict = False
    for pattern in patterns:
        negate = pattern.startswith("!")
        pattern = pattern.lstrip("!").rstrip("/")
        candidates = [pattern, pattern[3:]] if pattern.startswith("**/") else [pattern]
        if any(fnmatch.fnmatchcase(p, c) for p in parents for c in candidates):
            verdict = not negate
    return verdict


def test_the_build_context_sends_what_is_copied_and_nothing_else(dockerfile) -> None:  # noqa: ANN001
    lines = (ROOT / ".dockerignore").read_text().splitlines()
    patterns = [line.strip() for line in lines if line.strip() and not line.startswith("#")]
    for source in _copied(dockerfile):
        assert not _ignored(source, patterns), f"{source} is copied but ignored"
        assert not _ignored(f"{source}/x.py" if (ROOT / source).is_dir() else source, patterns)
    for heavy in (".venv", ".venv/lib/python3.11/site-packages/duckdb.py", ".git", ".git/objects",
                  ".athena-bot/lake", "tests", "bench", "bot/__pycache__/cli.cpython-311.pyc", ".env"):
        assert _ignored(heavy, patterns), f"{heavy} would go into the build context"


def test_the_build_imports_every_handler_the_stack_runs(dockerfile) -> None:  # noqa: ANN001
    [run] = _instructions(dockerfile, "RUN")
    resources = expand()["Resources"]
    handlers = {r["Properties"]["ImageConfig"]["Command"][0].rsplit(".", 1)[0] for r in resources.values()
                if r["Type"] == "AWS::Lambda::Function"}
    checked = run.rsplit('python -c "import ', 1)[1].split('"', 1)[0].replace(" ", "").split(",")
    assert handlers | {"awslambdaric"} <= set(checked)
    assert 'pip install ".[lambda]"' in run
    assert any(r.startswith("awslambdaric") for r in _pyproject()["project"]["optional-dependencies"]["lambda"])


def _closure(requirements: list[str]) -> dict[str, metadata.Distribution]:
    """The installed distributions a set of requirements pulls in (markers for this platform)."""
    found: dict[str, metadata.Distribution] = {}
    todo = [Requirement(r) for r in requirements]
    while todo:
        req = todo.pop()
        if req.marker and not req.marker.evaluate({"extra": ""}):
            continue
        name = req.name.lower().replace("_", "-")
        if name in found:
            continue
        dist = metadata.distribution(req.name)
        found[name] = dist
        for extra in req.extras:
            todo += [Requirement(r) for r in dist.requires or [] if Requirement(r).marker
                     and Requirement(r).marker.evaluate({"extra": extra})]
        todo += [Requirement(r) for r in dist.requires or [] if not Requirement(r).marker
                 or Requirement(r).marker.evaluate({"extra": ""})]
    return found


def _size(dist: metadata.Distribution) -> int:
    """Installed bytes, from the distribution's RECORD (what pip wrote; bytecode has no size there)."""
    return sum(file.size or 0 for file in dist.files or [])


def test_the_installed_dependency_set_fits_lambdas_image_limit() -> None:
    project = _pyproject()["project"]
    closure = _closure(project["dependencies"] + project["optional-dependencies"]["lambda"])
    assert {"duckdb", "pandas", "matplotlib", "slack-bolt", "boto3", "awslambdaric"} <= set(closure)
    assert not {"pytest", "moto", "cfn-lint", "aws-sam-translator"} & set(closure)  # dev tools stay out
    size = sum(_size(d) for d in closure.values())
    print(f"\n{len(closure)} distributions, {size / 1024**2:.0f} MB installed")
    assert 100 * 1024**2 < size < IMAGE_BUDGET < LAMBDA_IMAGE_LIMIT


def _run_entrypoint(tmp_path: Path, *command: str, **env: str) -> subprocess.CompletedProcess[str]:
    fake = tmp_path / "bin"
    fake.mkdir(exist_ok=True)
    (fake / "python").write_text('#!/bin/sh\necho "python $*"\n')
    (fake / "python").chmod(0o755)
    return subprocess.run(["sh", str(DEPLOY / "entrypoint.sh"), *command], capture_output=True, text=True,
                          env={"PATH": f"{fake}:{os.environ['PATH']}", **env}, check=True)


def test_the_entry_point_runs_handlers_under_the_lambda_runtime_and_commands_as_they_are(tmp_path: Path) -> None:
    assert _run_entrypoint(tmp_path, "bot.lambda_handler.handler").stdout == \
        "python -m awslambdaric bot.lambda_handler.handler\n"
    assert _run_entrypoint(tmp_path, "echo", "athena-bot", "worker").stdout == "athena-bot worker\n"


def test_the_entry_point_seeds_the_writable_font_cache(tmp_path: Path) -> None:
    built = tmp_path / "opt-matplotlib"
    built.mkdir()
    (built / "fontlist-v390.json").write_text("{}")
    writable = tmp_path / "tmp" / "matplotlib"
    _run_entrypoint(tmp_path, "true", ATHENA_BOT_MPL_CACHE=str(built), MPLCONFIGDIR=str(writable))
    assert (writable / "fontlist-v390.json").read_text() == "{}"
    (writable / "fontlist-v390.json").write_text('{"kept": 1}')  # a warm container keeps its own copy
    _run_entrypoint(tmp_path, "true", ATHENA_BOT_MPL_CACHE=str(built), MPLCONFIGDIR=str(writable))
    assert (writable / "fontlist-v390.json").read_text() == '{"kept": 1}'


def test_every_image_build_makes_one_x86_manifest_lambda_accepts() -> None:
    """Lambda refuses an image index (what BuildKit's provenance attestation makes) and runs the
    functions on x86_64: every scripted build says both."""
    architectures = {a for r in expand()["Resources"].values() if r["Type"] == "AWS::Lambda::Function"
                     for a in r["Properties"]["Architectures"]}
    assert architectures == {"x86_64"}
    builds = [line for path in ("deploy/buildspec.yml", ".github/workflows/deploy.yml", "deploy/Dockerfile")
              for line in (ROOT / path).read_text().replace("\\\n", " ").splitlines() if "docker build" in line]
    assert len(builds) == 3
    for line in builds:
        assert "--platform linux/amd64" in line and "--provenance=false" in line, line
        assert "--file deploy/Dockerfile" in line and line.rstrip().endswith(" ."), line  # context: the root
