"""The command line for machines: --version, --json schemas, exit codes, --project-dir from anywhere, no
traceback, Markdown that stack-file values cannot break, and PR comments within GitHub's size limit."""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
from pathlib import Path

import pytest
from click.testing import CliRunner

from auth0_m2m import __version__
from auth0_m2m.tools import cli
from auth0_m2m.tools.cli import main
from auth0_m2m.tools.markdown import GITHUB_COMMENT_LIMIT, code, text, truncate
from auth0_m2m.tools.output import Exit
from auth0_m2m.tools.schemas import RESULTS, envelope_model

REPO = Path(__file__).resolve().parents[3]
BASE = (REPO / "tests" / "corpus" / "base.yaml").read_text()


def run(*args: str, **kwargs):
    result = CliRunner().invoke(main, list(args), **kwargs)
    assert "Traceback" not in result.output + result.stderr
    return result


def git(cwd: Path, *args: str) -> None:
    subprocess.run(["git", *args], cwd=cwd, check=True, capture_output=True)


@pytest.fixture
def project(tmp_path) -> Path:
    """A git repository holding a project (in a subdirectory, as a monorepo would) with a dev stack."""
    root = tmp_path / "repo" / "infra"
    (root / "stacks").mkdir(parents=True)
    shutil.copy(REPO / "Pulumi.yaml", root / "Pulumi.yaml")
    (root / "stacks" / "Pulumi.dev.yaml").write_text(BASE)
    git(root.parent, "init", "-q")
    git(root.parent, "add", ".")
    git(root.parent, "-c", "user.email=t@example.com", "-c", "user.name=t", "commit", "-qm", "base")
    return root


def test_version():
    result = run("--version")
    assert result.exit_code == 0 and result.stdout == f"auth0-m2m {__version__}\n"


@pytest.mark.parametrize("command", sorted(RESULTS))
def test_every_json_schema_is_printed(command):
    result = run("schema", command)
    schema = json.loads(result.stdout)
    assert result.exit_code == 0
    assert set(schema["properties"]) == {"schema", "version", "command", "ok", "exit_code", "result", "errors"}


def test_validate_json_result(project):
    result = run("validate", "--project-dir", str(project), "--json")
    document = json.loads(result.stdout)
    envelope_model("validate").model_validate(document)
    assert result.exit_code == Exit.OK and document["ok"] is True
    assert document["schema"] == "auth0-m2m/validate/v1" and document["version"] == __version__
    assert document["result"]["files"] == [{"file": "stacks/Pulumi.dev.yaml", "stack": "dev", "valid": True,
                                            "production": False, "applications": 2, "grants": 2, "errors": []}]


def test_report_json_result(project):
    result = run("report", "--project-dir", str(project), "--stack", "dev", "--json")
    document = json.loads(result.stdout)
    envelope_model("report").model_validate(document)
    rows = document["result"]["rows"]
    assert [(r["application"], r["api"], r["organization_usage"], r["default_organization"]) for r in rows] == [
        ("billing-sync", "orders", "require", "acme"), ("support-console", "billing", "allow", None)]


def test_diff_json_result_and_project_dir_from_anywhere(project, tmp_path, monkeypatch):
    stack = project / "stacks" / "Pulumi.dev.yaml"
    stack.write_text(BASE.replace("organizations: [acme, globex]", "organizations: [acme]"))
    monkeypatch.chdir(tmp_path)  # neither the project nor the repository
    result = run("diff", "--project-dir", str(project), "--base", "HEAD", "--json")
    document = json.loads(result.stdout)
    envelope_model("diff").model_validate(document)
    assert result.exit_code == Exit.OK
    [entry] = document["result"]["stacks"]
    assert entry["stack"] == "dev" and entry["file"] == "stacks/Pulumi.dev.yaml" and entry["status"] == "changed"
    assert entry["changes"] == [{"risk": 25, "loosens": False, "application": "billing-sync", "api": "orders",
                                 "summary": "organizations revoked: globex"}]
    assert entry["token_changes"] == [{"application": "billing-sync", "api": "orders", "organization": "globex",
                                       "before": "token:globex", "after": "refused"}]
    monkeypatch.chdir(project / "stacks")  # below the project: found as Pulumi finds it
    assert run("diff", "--base", "HEAD", "--json").stdout == result.stdout


@pytest.mark.parametrize(
    "args, code",
    [
        (["validate", "--no-such-option"], Exit.USAGE),
        (["diff", "--base", "no-such-revision"], Exit.USAGE),
        (["report"], Exit.USAGE),
        (["validate", "--stack", "missing"], Exit.USAGE),
    ],
    ids=["unknown option", "unknown revision", "no stack named", "missing stack file"],
)
def test_usage_errors_exit_2(project, args, code):
    result = run(*args, "--project-dir", str(project)) if args[1:2] != ["--no-such-option"] else run(*args)
    assert result.exit_code == code, result.output


def test_no_project_is_a_usage_error(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    result = run("validate", "--json")
    assert result.exit_code == Exit.USAGE
    assert json.loads(result.stdout)["errors"][0]["message"].startswith("no Pulumi.yaml in the current directory")


def test_a_bug_is_exit_4_with_a_message_and_no_traceback(project, monkeypatch):
    def broken(*args, **kwargs):
        raise KeyError("surprise")

    monkeypatch.setattr(cli, "report_json", broken)
    result = run("report", "--project-dir", str(project), "--stack", "dev")
    assert result.exit_code == Exit.INTERNAL
    assert "internal error (KeyError: 'surprise'); this is a bug in auth0-m2m" in result.stderr
    assert "AUTH0_M2M_DEBUG=1" in result.stderr
    machine = run("report", "--project-dir", str(project), "--stack", "dev", "--json")
    assert json.loads(machine.stdout)["errors"][0]["kind"] == "internal"


def test_a_failing_pulumi_is_exit_3(project, monkeypatch, tmp_path):
    (tmp_path / "pulumi").write_text("#!/bin/sh\necho 'error: no stack named dev' >&2\nexit 255\n")
    (tmp_path / "pulumi").chmod(0o755)
    monkeypatch.setenv("PATH", f"{tmp_path}{os.pathsep}{os.environ['PATH']}")
    result = run("access-check", "--project-dir", str(project), "--stack", "dev")
    assert result.exit_code == Exit.EXTERNAL
    assert "`pulumi stack output --json --show-secrets` failed for stack 'dev': error: no stack named dev" in result.stderr


def test_the_real_command_exits_with_the_documented_codes(project, tmp_path):
    """The installed console script, not only click's runner: statuses and streams as a workflow sees them."""
    command = shutil.which("auth0-m2m", path=str(Path(os.sys.executable).parent))
    ok = subprocess.run([command, "validate", "--project-dir", str(project)], capture_output=True, text=True)
    assert ok.returncode == 0 and ok.stdout == "stacks/Pulumi.dev.yaml: ok (2 applications, 2 grants)\n"
    (project / "stacks" / "Pulumi.dev.yaml").write_text(BASE.replace("production: false", "production: yes"))
    bad = subprocess.run([command, "validate", "--project-dir", str(project)], capture_output=True, text=True)
    assert bad.returncode == 1 and "field 'production': 'yes' is not a boolean" in bad.stderr and bad.stdout == ""


# ------------------------------------------------------------------------------------------------
# Markdown


HOSTILE = "``` @everyone <img src=x onerror=alert(1)> | [x](https://evil.example) #1 **bold**"


def hostile_project(project: Path) -> None:
    """A new application whose values try to break out of the Markdown: a justification with a fence, a
    mention, HTML and a link; an audience with backticks and a pipe; a scope with a pipe and emphasis."""
    (project / "stacks" / "Pulumi.dev.yaml").write_text(
        BASE.replace("identifier: https://orders.api.example.com/", "identifier: 'https://orders.example/`x`|y'")
        .replace("        read:orders: Read orders\n", "        read:orders: Read orders\n        read:orders|*x*: Read\n")
        + "    - name: hostile-tool\n      grants:\n        - api: orders\n          scopes: ['read:orders|*x*']\n"
        f"          organization_usage: allow\n          allow_any_organization: true\n"
        f"          justification: {json.dumps(HOSTILE)}\n"
    )


def render(markdown: str) -> str:
    """HTML as a CommonMark renderer with GitHub's tables renders the comment (markdown-it, rich's parser)."""
    from markdown_it import MarkdownIt

    return MarkdownIt("commonmark").enable("table").render(markdown)


def assert_inert(markdown: str) -> None:
    """No mention, HTML element or link survives: values from the stack file render as text or code."""
    html = render(markdown)
    assert "<img" not in html and "&lt;img" in html
    assert "<a " not in html
    assert "@everyone" not in html and "@\u2060everyone" in html
    assert "<strong>bold</strong>" not in html
    for row in re.findall(r"<tr>(.*?)</tr>", html, re.S):
        assert len(re.findall(r"<t[hd]", row)) in (4, 5, 7), row


def test_report_escapes_values_from_the_stack_file(project):
    hostile_project(project)
    result = run("report", "--project-dir", str(project), "--stack", "dev")
    assert result.exit_code == 0, result.stderr
    assert_inert(result.stdout)
    assert render(result.stdout).count("<tr>") == 8  # each table: a header; three grants, three applications
    assert "``https://orders.example/`x`\\|y``" in result.stdout


def test_diff_escapes_values_and_fences_errors(project):
    hostile_project(project)
    result = run("diff", "--project-dir", str(project), "--base", "HEAD")
    assert_inert(result.stdout)
    (project / "stacks" / "Pulumi.dev.yaml").write_text(BASE.replace("environment: dev", "environment: '```'"))
    invalid = run("diff", "--project-dir", str(project), "--base", "HEAD")
    assert invalid.exit_code == Exit.FINDINGS
    fence = re.search(r"^(`{4,})$", invalid.stdout, re.M).group(1)  # longer than the ``` in the value
    assert invalid.stdout.count(fence) == 2


def test_code_and_text():
    assert code("a|b") == "`a\\|b`" and code("x`y") == "``x`y``" and code("`") == "`` ` ``"
    assert text("@team #12 <b>") == "@\u2060team \\#\u206012 \\<b\\>"


def test_a_huge_diff_fits_a_pr_comment_and_the_whole_report_is_kept(project, tmp_path):
    apps = "".join(
        f"    - name: app-{i:04d}\n      grants:\n        - api: orders\n          organization_usage: allow\n"
        f"          allow_any_organization: true\n" for i in range(1500))
    (project / "stacks" / "Pulumi.dev.yaml").write_text(BASE + apps)
    comment, full = tmp_path / "comment-body.md", tmp_path / "full.md"
    result = run("diff", "--project-dir", str(project), "--base", "HEAD", "--output", str(comment),
                 "--full-output", str(full), "--max-chars", "60000", "--truncation-note", "See the artifact.")
    assert result.exit_code == 0, result.stderr
    body = comment.read_text()
    # As pull-request.yml builds the comment: a marker line, the diff, a footer line.
    posted = "<!-- auth0-m2m-access-diff:dev -->\n" + body + "\n<sub>`auth0-m2m diff --base 0123456789ab dev` for 0123456789ab</sub>\n"
    assert len(posted) <= GITHUB_COMMENT_LIMIT
    assert len(full.read_text()) > GITHUB_COMMENT_LIMIT
    assert body.rstrip().endswith("See the artifact.") and "was cut to stay within GitHub's comment size limit" in body
    assert body.count("<details>") == body.count("</details>")
    assert "`app-1499`" in full.read_text() and "`app-1499`" not in body
    assert "the diff was cut to 60,000 characters" in result.stderr


def test_truncate_closes_open_blocks():
    markdown = "intro\n\n<details><summary>s</summary>\n\n```\n" + "line\n" * 1000 + "```\n\n</details>\n"
    cut, was_cut = truncate(markdown, 1200, "NOTE")
    assert was_cut and len(cut) <= 1200
    assert cut.count("```") == 2 and cut.count("</details>") == 1 and cut.rstrip().endswith("NOTE")
    assert truncate("short", 1200, "NOTE") == ("short", False)
