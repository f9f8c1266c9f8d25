"""compliance-nb's errors as a real process: each one said once, on one line, in the words
of the command line (its flags, never Python arguments), before anything is sent or
written; the exit statuses (0, 1, 2, 130); a closed pipe; NO_COLOR."""

from __future__ import annotations

import os
import pty
import signal
import subprocess
import sys
import time

import polars as pl
import pytest
from _cli_helpers import SCIENTIFIC, assert_one_error, cli, cli_env, error_lines, sample_ids

from compliance_nb.sandbox import Sandbox


@pytest.fixture(scope="module")
def sb():
    with Sandbox(processing_delay=0) as sandbox:
        yield sandbox


def test_ids_saved_in_scientific_notation_are_named_as_such(sb, tmp_path):
    # what Excel makes of a column of Tweet IDs saved as numbers, header-less
    source = tmp_path / "from_excel.csv"
    source.write_text("1.73428826718806E+18\n1.73428826718807E+18\n1.73428826718808E+18\n")
    before = sb.jobs_created
    line = assert_one_error(cli("check", source, "-o", tmp_path / "o.csv", sandbox=sb))
    assert "'1.73428826718806E+18'" in line  # the first line too: it is no header
    assert line.endswith(f": {SCIENTIFIC}.")
    assert "--errors" not in line  # coercing would check nothing: no such advice
    assert sb.jobs_created == before
    assert not (tmp_path / "o.csv").exists()


def test_values_that_are_no_ids_are_listed_with_their_lines_and_the_flag(sb, tmp_path):
    ids = sample_ids(5, seed=3)
    source = tmp_path / "t.csv"
    source.write_text("id\n" + "\n".join([ids[0], "abc", *ids[1:], "1.2e18"]) + "\n")
    line = assert_one_error(cli("check", source, "-o", tmp_path / "o.csv", sandbox=sb))
    assert "has 2 values that are not valid Tweet IDs" in line
    assert "line 3: 'abc': not decimal digits" in line
    assert f"line {len(ids) + 3}: '1.2e18': {SCIENTIFIC}" in line
    assert "add --errors coerce" in line


def test_errors_coerce_checks_the_others_and_warns_once(sb, tmp_path):
    ids = sample_ids(5, seed=3)
    source = tmp_path / "t.csv"
    source.write_text("id\n" + "\n".join([ids[0], "abc", *ids[1:]]) + "\n")
    dest = tmp_path / "o.parquet"
    proc = cli("check", source, "-o", dest, "--errors", "coerce", "--quiet", sandbox=sb)
    assert proc.returncode == 0, proc.stderr
    assert proc.stderr.splitlines() == [
        "compliance-nb: warning: 1 row of column 'id' holds a value that is not a Tweet ID; "
        "it gets empty results (--errors coerce)."
    ]
    out = pl.read_parquet(dest)
    assert out["compliant"][1] is None and out["id"][1] == "abc"
    assert out["compliant"].null_count() == 1


def test_an_existing_output_needs_force_and_the_input_is_never_overwritten(sb, tmp_path):
    ids = sample_ids(5, seed=4)
    source = tmp_path / "in.csv"
    source.write_text("id\n" + "\n".join(ids) + "\n")
    original = source.read_bytes()
    dest = tmp_path / "out.csv"
    dest.write_text("keep me\n")
    line = assert_one_error(cli("check", source, "-o", dest, sandbox=sb))
    assert "exists already: add --force" in line
    assert dest.read_text() == "keep me\n"
    (tmp_path / "link.csv").symlink_to(source)
    (tmp_path / "sub").mkdir()
    for same in ("in.csv", "./in.csv", str(source), "sub/../in.csv", "link.csv"):
        proc = cli("check", "in.csv", "-o", same, "--force", sandbox=sb, cwd=tmp_path)
        assert "is the input file: the input is never overwritten" in assert_one_error(proc)
        proc = cli("check", same, "-o", "in.csv", "--force", sandbox=sb, cwd=tmp_path)
        assert "is the input file" in assert_one_error(proc)
    assert source.read_bytes() == original and source.is_file() and not source.is_symlink()
    proc = cli("check", source, "-o", dest, "--force", "--quiet", sandbox=sb)
    assert proc.returncode == 0, proc.stderr
    assert pl.read_csv(dest, schema_overrides={"id": pl.String})["id"].to_list() == ids


@pytest.mark.parametrize(
    ("argv", "fragment"),
    [
        (["two.csv"], "has 2 columns and none is called 'id': name the column of IDs with "
         "--id-column"),
        (["two.csv", "--id-column", "tweet"], "has no column 'tweet'; its columns are 'a', 'b'. "
         "Name the right one with --id-column"),
        (["ids.dat"], "name the format with --format"),
        (["missing.txt"], "No such input file: 'missing.txt'"),
        (["ids.txt", "--no-header"], "--no-header goes with CSV and TSV input"),
        (["ids.txt", "--no-wait", "--sandbox"], "--no-wait needs an API that outlives"),
        (["ids.txt", "--kind", "users", "--user-id-column", "a"], "--user-id-column goes with "
         "--kind tweets"),
        (["float.parquet"], "holds floating-point numbers (Float64): Tweet IDs above 2**53 "
         "have lost their last digits there. Export the IDs again as text"),
    ],
)  # fmt: skip
def test_each_error_names_the_flags_once(tmp_path, argv, fragment):
    (tmp_path / "two.csv").write_text("a,b\nx,y\n")
    (tmp_path / "ids.dat").write_text("20\n")
    (tmp_path / "ids.txt").write_text("20\n")
    pl.DataFrame({"id": [1.2e18]}).write_parquet(tmp_path / "float.parquet")
    assert_one_error(cli("check", *argv, "-o", "out.csv", cwd=tmp_path), fragment)
    assert not (tmp_path / "out.csv").exists()


def test_apply_errors_name_the_flags(tmp_path):
    (tmp_path / "plain.csv").write_text("id,geo\n20,x\n")
    (tmp_path / "checked.csv").write_text("id,compliance_action,compliance_reason\n20,,\n")
    line = assert_one_error(cli("apply", "plain.csv", "-o", "c.csv", cwd=tmp_path))
    assert "has no 'compliance_action' or 'compliance_reason' column" in line
    assert "`compliance-nb check`" in line
    line = assert_one_error(
        cli("apply", "checked.csv", "-o", "c.csv", "--geo-columns", "place", cwd=tmp_path)
    )
    assert line.endswith("--geo-columns: 'place' not a column of 'checked.csv'; its columns are "
                         "'id', 'compliance_action', 'compliance_reason'.")  # fmt: skip
    assert not (tmp_path / "c.csv").exists()


def test_usage_errors_exit_2_on_one_line(tmp_path):
    for argv, fragment in (
        (["check", "ids.txt"], "-o/--output"),
        (["check", "ids.txt", "-o", "o.csv", "--name", "n" * 65], "a job name is 1 to 64"),
        (["check", "ids.txt", "-o", "o.csv", "--errors", "ignore"], "--errors: invalid choice"),
        (["jobs", "wait", "12ab"], "1 to 19 digits"),
    ):
        proc = cli(*argv, cwd=tmp_path)
        assert proc.returncode == 2, (argv, proc.stderr)
        assert proc.stdout == ""
        assert proc.stderr.count("\n") == 1 and proc.stderr.startswith("compliance-nb: error:")
        assert fragment in proc.stderr


def test_a_closed_pipe_ends_quietly(sb):
    client = sb.client()
    for _ in range(3):
        job = client.create_job("users")
        client.cancel_job(job.id)  # (one running job of a kind at a time)
    # the reader is gone before the command writes: every write meets a closed pipe
    proc = subprocess.Popen(
        [sys.executable, "-m", "compliance_nb.cli", "jobs", "list"],
        env=cli_env(sb),
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
    )
    proc.stdout.close()
    err = proc.stderr.read().decode()
    assert proc.wait(timeout=60) == 0
    assert err == ""
    # and as a shell pipeline, as the issue had it
    shell = subprocess.run(
        f"{sys.executable} -m compliance_nb.cli jobs list | head -2",
        shell=True,
        env=cli_env(sb),
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert shell.stderr == ""
    assert shell.stdout.splitlines()[0].split()[:3] == ["id", "type", "status"]


def test_an_interrupt_exits_130_and_the_job_is_kept(tmp_path):
    with Sandbox(processing_delay=60) as slow:
        (tmp_path / "ids.txt").write_text("\n".join(sample_ids(5, seed=6)) + "\n")
        proc = subprocess.Popen(
            [sys.executable, "-m", "compliance_nb.cli", "check", "ids.txt", "-o", "o.csv"],
            cwd=tmp_path,
            env=cli_env(slow),
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        lines = []
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            line = proc.stderr.readline()
            lines.append(line)
            if "processing" in line or not line:
                break
        proc.send_signal(signal.SIGINT)
        rest = proc.stderr.read()
        assert proc.wait(timeout=60) == 130, "".join(lines) + rest
        assert rest.strip().endswith("compliance-nb: interrupted")
        assert "run the same command again to reattach" in rest
        assert "Traceback" not in rest
        assert slow.jobs_created == 1
        assert slow.job_state(slow.created_job_ids[0])["status"] == "in_progress"  # goes on


def _through_a_terminal(env: dict[str, str]) -> str:
    """stderr of a failing command when stderr is a terminal."""
    leader, follower = pty.openpty()
    try:
        proc = subprocess.run(
            [sys.executable, "-m", "compliance_nb.cli", "check", "missing.txt", "-o", "o.csv"],
            env=env,
            stdout=subprocess.DEVNULL,
            stderr=follower,
            timeout=60,
        )
        assert proc.returncode == 1
        os.close(follower)
        follower = -1
        chunks = []
        while True:
            try:
                chunk = os.read(leader, 4096)
            except OSError:
                break
            if not chunk:
                break
            chunks.append(chunk)
        return b"".join(chunks).decode()
    finally:
        os.close(leader)
        if follower >= 0:
            os.close(follower)


def test_no_color_turns_the_colour_of_errors_off():
    coloured = _through_a_terminal(cli_env(TERM="xterm"))
    assert "\x1b[" in coloured and "No such input file" in coloured
    plain = _through_a_terminal(cli_env(TERM="xterm", NO_COLOR="1"))
    assert "\x1b[" not in plain
    assert plain.startswith("compliance-nb: error: No such input file")


def test_a_failed_job_is_said_once(tmp_path):
    (tmp_path / "ids.txt").write_text("\n".join(sample_ids(5, seed=9)) + "\n")
    with Sandbox(processing_delay=0) as failing:
        failing.faults.add("processing", "fail", error="the job broke")
        proc = cli("check", "ids.txt", "-o", "o.csv", sandbox=failing, cwd=tmp_path)
    assert proc.returncode == 1
    assert proc.stderr.count("the job broke") == 1, proc.stderr
    assert error_lines(proc.stderr) == [line for line in proc.stderr.splitlines() if
                                        "the job broke" in line]  # fmt: skip
    assert not (tmp_path / "o.csv").exists()
