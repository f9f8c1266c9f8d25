"""compliance-nb: demo, check, apply-jsonl, jobs, sandbox; run in-process through
``main([...])`` against the real sandbox server, plus real subprocesses for the demo and
for a failing command. Exit codes, one-line errors, files written, no secrets shown."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import polars as pl
import pytest

from compliance_nb.cli import main
from compliance_nb.datasets import sample_tweets

FAKE_TOKEN = "AAAAAAAAAAAAAAAAAAAAACliTestFakeToken%2Bsecret0123456789abcdef"


def run(capsys, *argv: str) -> tuple[int, str, str]:
    rc = main([str(a) for a in argv])
    captured = capsys.readouterr()
    return rc, captured.out, captured.err


def assert_one_line_error(err: str, *fragments: str) -> None:
    lines = [line for line in err.splitlines() if line.startswith("compliance-nb: error:")]
    assert len(lines) == 1, err
    assert "Traceback" not in err
    for fragment in fragments:
        assert fragment in lines[0], lines[0]


def expected_action_ids(sandbox, ids: list[str], kind: str = "tweets") -> set[str]:
    expected = sandbox.expected([i for i in ids if i is not None], kind)
    return set(expected.filter(pl.col("action").is_not_null())["id"].to_list())


# -- demo ---------------------------------------------------------------------------------


def test_the_built_in_sandbox_leaves_nothing_in_the_users_cache(capsys, tmp_path, monkeypatch):
    """The demo's and --sandbox's jobs end with the command: their ledger, results and
    request budget go to a temporary folder, removed at the end, not to the user's cache."""
    users_cache = tmp_path / "users-cache"
    monkeypatch.setenv("COMPLIANCE_NB_CACHE_DIR", str(users_cache))
    rc, _, err = run(capsys, "demo", "--out", tmp_path / "demo", "--n", 50)
    assert rc == 0, err
    ids = tmp_path / "ids.txt"
    ids.write_text("1265324480517361664\n1265324480517361665\n")
    rc, _, err = run(capsys, "check", ids, "-o", tmp_path / "r.csv", "--sandbox")
    assert rc == 0, err
    assert not users_cache.exists()
    assert os.environ["COMPLIANCE_NB_CACHE_DIR"] == str(users_cache)  # as it was


def test_demo_writes_results_charts_and_report_and_prints_the_summary(capsys, tmp_path):
    out_dir = tmp_path / "demo"
    rc, out, err = run(capsys, "demo", "--out", out_dir, "--n", 300, "--seed", 3)
    assert rc == 0, err
    names = {p.name for p in out_dir.iterdir()}
    for name in (
        "checked.parquet",
        "checked.csv",
        "clean.parquet",
        "clean.csv",
        "reasons.png",
        "redaction_dates.png",
        "availability.png",
        "redaction_lag.png",
        "report.txt",
    ):
        assert name in names
    for png in out_dir.glob("*.png"):
        assert png.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    checked = pl.read_parquet(out_dir / "checked.parquet")
    clean = pl.read_parquet(out_dir / "clean.parquet")
    source = sample_tweets(300, seed=3, backend="polars")
    assert checked["id"].dtype == pl.String
    assert checked["id"].to_list() == source["id"].to_list()  # exact, row for row
    assert clean.height < checked.height
    csv = pl.read_csv(out_dir / "checked.csv", schema_overrides={"id": pl.String})
    assert csv["id"].to_list() == source["id"].to_list()
    assert "SIMULATED" in out and "SIMULATED" in err
    assert str(out_dir.resolve()) in out
    assert (out_dir / "report.txt").read_text().strip() in out
    assert "[tweets" in err  # progress lines go to stderr


def test_demo_verdicts_are_the_sandbox_oracles(
    capsys, tmp_path, sandbox, transfer_urls, monkeypatch
):
    """In both worlds: the demo's sandbox hands out signed storage URLs, or the API host's
    own upload and download routes."""
    import compliance_nb.sandbox as sandbox_pkg

    made: list = []

    class Sandbox(sandbox_pkg.Sandbox):
        def __init__(self, **kw):
            super().__init__(transfer_urls=transfer_urls, **kw)
            made.append(self)

    monkeypatch.setattr(sandbox_pkg, "Sandbox", Sandbox)
    rc, _, _ = run(capsys, "demo", "--out", tmp_path, "--n", 200)
    assert rc == 0
    checked = pl.read_parquet(tmp_path / "checked.parquet")
    flagged = set(checked.filter(pl.col("compliant").not_())["id"].to_list())
    assert flagged == expected_action_ids(sandbox, checked["id"].to_list())
    assert [box.transfer_urls for box in made] == [transfer_urls]  # the demo used it
    routes = [(r["route"], r["status"]) for r in made[0].requests_log]
    assert ("upload", 200) in routes and ("download", 200) in routes
    assert made[0].auth_leaks == []


def test_demo_uses_the_sandbox_even_with_a_token_and_never_shows_it(capsys, tmp_path, monkeypatch):
    monkeypatch.setenv("X_BEARER_TOKEN", FAKE_TOKEN)
    rc, out, err = run(capsys, "demo", "--out", tmp_path / "d", "--n", 100)
    assert rc == 0
    assert "X_BEARER_TOKEN is set but not used" in err
    for text in (out, err):
        assert FAKE_TOKEN not in text
        assert FAKE_TOKEN[:16] not in text


def test_demo_refuses_an_out_path_that_is_a_file(capsys, tmp_path):
    target = tmp_path / "file.txt"
    target.write_text("x")
    rc, _out, err = run(capsys, "demo", "--out", target)
    assert rc == 1
    assert_one_line_error(err, "is not a folder")


def _subprocess_env(**extra: str) -> dict[str, str]:
    env = {
        k: v
        for k, v in os.environ.items()
        if k not in ("X_BEARER_TOKEN", "TWITTER_BEARER_TOKEN", "BEARER_TOKEN")
    }
    env.update(extra)
    return env


@pytest.mark.slow
def test_demo_as_a_real_process(tmp_path):
    proc = subprocess.run(
        [sys.executable, "-m", "compliance_nb.cli", "demo", "--n", "400"],
        cwd=tmp_path,
        env=_subprocess_env(X_BEARER_TOKEN=FAKE_TOKEN),
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert proc.returncode == 0, proc.stderr
    out_dir = tmp_path / "compliance_nb_demo"  # the default folder
    assert (out_dir / "checked.parquet").is_file()
    assert len(list(out_dir.glob("*.png"))) == 4
    assert "Traceback" not in proc.stderr
    assert FAKE_TOKEN not in proc.stdout + proc.stderr
    assert "rows need no action" in proc.stdout


def test_a_failing_command_as_a_real_process_prints_one_line(tmp_path):
    proc = subprocess.run(
        [
            sys.executable,
            "-m",
            "compliance_nb.cli",
            "check",
            "missing.csv",
            "--id-column",
            "id",
            "-o",
            "out.csv",
            "--sandbox",
        ],
        cwd=tmp_path,
        env=_subprocess_env(),
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert proc.returncode == 1
    assert proc.stdout == ""
    assert proc.stderr.strip().count("\n") == 0
    assert proc.stderr.startswith("compliance-nb: error: No such input file")
    assert not (tmp_path / "out.csv").exists()


def test_a_usage_error_as_a_real_process_is_one_line_with_status_2(tmp_path):
    proc = subprocess.run(
        [sys.executable, "-m", "compliance_nb.cli", "check", "x.csv"],
        cwd=tmp_path,
        env=_subprocess_env(),
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert proc.returncode == 2
    assert proc.stderr.strip().count("\n") == 0
    assert proc.stderr.startswith("compliance-nb: error:") and "-o/--output" in proc.stderr


# -- check ----------------------------------------------------------------------------------


def _tweets_csv(path: Path, n: int = 300, seed: int = 5) -> list[str | None]:
    df = sample_tweets(n, seed=seed, backend="polars")
    df.write_csv(path)
    return df["id"].to_list()


def test_check_csv_keeps_ids_exact_and_matches_the_oracle(capsys, tmp_path, sandbox):
    source = tmp_path / "tweets.csv"
    ids = _tweets_csv(source)
    assert None in ids  # a column pandas would read as float
    dest = tmp_path / "out" / "checked.parquet"
    rc, out, err = run(capsys, "check", source, "--id-column", "id", "-o", dest, "--sandbox")
    assert rc == 0, err
    checked = pl.read_parquet(dest)
    assert checked["id"].dtype == pl.String
    assert checked["id"].to_list() == ids
    flagged = set(checked.filter(pl.col("compliant").not_())["id"].to_list())
    assert flagged == expected_action_ids(sandbox, ids)
    assert out.count("\n") == 1  # a one-paragraph summary
    assert out.startswith(f"Checked {len(ids):,} rows")
    assert "SIMULATED" in out and str(dest) in out
    assert "[tweets" in err  # progress on stderr


def test_check_jsonl_with_authors_writes_jsonl(capsys, tmp_path, sandbox):
    df = sample_tweets(200, seed=8, backend="polars")
    source = tmp_path / "tweets.jsonl"
    # bare numbers in the file: read as strings all the same
    lines = [
        json.dumps({"id": None if i is None else int(i), "author_id": int(a), "x": 1})
        for i, a in zip(df["id"].to_list(), df["author_id"].to_list(), strict=True)
    ]
    source.write_text("\n".join(lines) + "\n")
    dest = tmp_path / "checked.jsonl"
    rc, _, err = run(
        capsys,
        "check",
        source,
        "--id-column",
        "id",
        "--user-id-column",
        "author_id",
        "-o",
        dest,
        "--sandbox",
    )
    assert rc == 0, err
    checked = pl.read_ndjson(dest, schema_overrides={"id": pl.String, "author_id": pl.String})
    assert checked["id"].to_list() == df["id"].to_list()
    assert "user_compliance_reason" in checked.columns
    gone_authors = expected_action_ids(sandbox, df["author_id"].to_list(), "users")
    by_author = checked.filter(pl.col("author_id").is_in(list(gone_authors)))
    assert by_author.height > 0
    assert by_author["compliant"].to_list() == [False] * by_author.height


def test_check_users_kind_to_csv(capsys, tmp_path, sandbox):
    source = tmp_path / "users.csv"
    pl.DataFrame({"uid": ["12", "783214", "2244994945", "1212092628029698048"]}).write_csv(source)
    dest = tmp_path / "users_checked.csv"
    rc, out, err = run(
        capsys, "check", source, "--id-column", "uid", "--kind", "users", "-o", dest, "--sandbox"
    )
    assert rc == 0, err
    checked = pl.read_csv(dest, schema_overrides={"uid": pl.String})
    flagged = set(checked.filter(pl.col("compliant").not_())["uid"].to_list())
    assert flagged == expected_action_ids(sandbox, checked["uid"].to_list(), "users")
    assert "distinct user IDs" in out


@pytest.mark.parametrize(
    ("argv", "fragment"),
    [
        (["--id-column", "tweet_id"], "has no column 'tweet_id'"),
        (["--id-column", "id", "-o", "{tmp}/out.xlsx"], "use .csv, .tsv, .parquet, .jsonl"),
        (["--id-column", "id", "--kind", "users", "--user-id-column", "author_id"], "--kind"),
    ],
)
def test_check_bad_input_fails_before_anything_is_sent(capsys, tmp_path, argv, fragment):
    source = tmp_path / "tweets.csv"
    _tweets_csv(source, n=20)
    argv = [a.replace("{tmp}", str(tmp_path)) for a in argv]
    if "-o" not in argv:
        argv += ["-o", str(tmp_path / "out.csv")]
    rc, out, err = run(capsys, "check", source, *argv, "--sandbox")
    assert rc in (1, 2)
    if rc == 1:
        assert_one_line_error(err, fragment)
    else:
        assert fragment in err and err.count("\n") == 1
    assert out == ""
    assert not (tmp_path / "out.csv").exists()


def test_check_refuses_a_float_id_column_from_parquet(capsys, tmp_path):
    source = tmp_path / "floats.parquet"
    pl.DataFrame({"id": [1.2126474644784549e18, None]}).write_parquet(source)
    dest = tmp_path / "out.csv"
    rc, _, err = run(capsys, "check", source, "--id-column", "id", "-o", dest, "--sandbox")
    assert rc == 1
    assert_one_line_error(err, "float")
    assert not dest.exists()


def test_check_without_a_token_says_how_to_use_the_sandbox(capsys, tmp_path):
    source = tmp_path / "tweets.csv"
    _tweets_csv(source, n=20)
    rc, _out, err = run(capsys, "check", source, "--id-column", "id", "-o", tmp_path / "o.csv")
    assert rc == 1
    assert_one_line_error(err, "No bearer token", "--sandbox")


def test_check_against_the_api_url_with_the_env_token(capsys, tmp_path, sandbox, monkeypatch):
    monkeypatch.setenv("X_BEARER_TOKEN", sandbox.bearer_token)
    source = tmp_path / "tweets.csv"
    ids = _tweets_csv(source, n=100)
    dest = tmp_path / "checked.csv"
    rc, out, err = run(
        capsys, "check", source, "--id-column", "id", "-o", dest, "--api-url", sandbox.url
    )
    assert rc == 0, err
    assert f"the X API at {sandbox.url}" in out
    assert sandbox.jobs_created == 1
    assert sandbox.bearer_token not in out + err
    assert sandbox.auth_leaks == []  # the token never went to the storage URLs
    checked = pl.read_csv(dest, schema_overrides={"id": pl.String})
    assert checked["id"].to_list() == ids


def test_debug_shows_the_traceback(capsys, tmp_path):
    with pytest.raises(Exception, match="No such input file"):
        main(["--debug", "check", str(tmp_path / "nope.csv"), "--id-column", "id", "-o", "x.csv"])


# -- jobs -----------------------------------------------------------------------------------


@pytest.fixture
def api(sandbox, monkeypatch):
    """The sandbox as "the API": its token in the environment, its URL via --api-url."""
    monkeypatch.setenv("X_BEARER_TOKEN", sandbox.bearer_token)
    return sandbox


def _signatures(job) -> list[str]:
    sigs = []
    for url in (job.upload_url, job.download_url):
        for part in url.split("?", 1)[1].split("&"):
            key, _, value = part.partition("=")
            if key.lower() in ("x-goog-signature", "signature", "sig", "token"):
                sigs.append(value)
    assert sigs
    return sigs


def _assert_clean(api, job, *texts: str) -> None:
    for text in texts:
        assert api.bearer_token not in text
        for sig in _signatures(job):
            assert sig not in text


def test_jobs_list_table_and_json(capsys, api):
    client = api.client()
    job = client.create_job("tweets", name="my-collection")
    rc, out, err = run(capsys, "jobs", "list", "--kind", "tweets", "--api-url", api.url)
    assert rc == 0, err
    header, _rule, *rows = out.splitlines()
    assert header.split()[:3] == ["id", "type", "status"]
    assert any(r.split()[:3] == [job.id, "tweets", "created"] for r in rows)
    assert "my-collection" in out
    rc, out_json, _ = run(
        capsys, "jobs", "list", "--kind", "tweets", "--json", "--api-url", api.url
    )
    data = json.loads(out_json)
    assert [d["id"] for d in data] == [job.id]
    assert data[0]["upload_url"].endswith("X-Goog-Signature=***")
    _assert_clean(api, job, out, out_json)
    rc, out, _ = run(capsys, "jobs", "list", "--kind", "users", "--api-url", api.url)
    assert rc == 0 and out.startswith("No users jobs")


def test_jobs_list_filters_by_status_and_reads_the_api_url_from_the_env(capsys, api, monkeypatch):
    api.client().create_job("tweets")
    monkeypatch.setenv("COMPLIANCE_NB_API_URL", api.url)
    rc, out, _ = run(capsys, "jobs", "list", "--kind", "tweets", "--status", "complete", "--json")
    assert rc == 0 and json.loads(out) == []
    rc, out, _ = run(capsys, "jobs", "list", "--kind", "tweets", "--status", "created", "--json")
    assert rc == 0 and len(json.loads(out)) == 1


def test_jobs_get_and_cancel(capsys, api):
    job = api.client().create_job("tweets")
    rc, out, err = run(capsys, "jobs", "get", job.id, "--api-url", api.url)
    assert rc == 0, err
    assert f"id             {job.id}" in out or job.id in out.splitlines()[0]
    assert "X-Goog-Signature=***" in out
    rc, out_json, _ = run(capsys, "jobs", "get", job.id, "--json", "--api-url", api.url)
    assert json.loads(out_json)["status"] == "created"
    rc, out_cancel, _ = run(capsys, "jobs", "cancel", job.id, "--api-url", api.url)
    assert rc == 0
    assert api.job_state(job.id)["status"] == "failed"  # cancelled jobs become failed
    assert f"Cancelled job {job.id}" in out_cancel
    _assert_clean(api, job, out, out_json, out_cancel)


def test_jobs_download_writes_the_results_file(capsys, api, tmp_path):
    client = api.client()
    ids = [i for i in sample_tweets(200, seed=2, backend="polars")["id"].to_list() if i]
    results = client.run("tweets", ids)
    job = client.list_jobs("tweets", status="complete")[0]
    dest = tmp_path / "results.jsonl"
    rc, out, err = run(capsys, "jobs", "download", job.id, "-o", dest, "--api-url", api.url)
    assert rc == 0, err
    assert dest.read_bytes() == Path(results).read_bytes()
    n_lines = sum(1 for line in dest.read_text().splitlines() if line.strip())
    assert f"({n_lines:,} lines)" in out or f"({n_lines} line)" in out
    _assert_clean(api, job, out, err)


def test_jobs_download_never_replaces_a_file_without_force(capsys, api, tmp_path):
    client = api.client()
    client.run("tweets", ["1265324480517361664", "1265324480517361665"])
    job = client.list_jobs("tweets", status="complete")[0]
    dest = tmp_path / "mine.json"
    dest.write_text("a co-author's notes")
    rc, _, err = run(capsys, "jobs", "download", job.id, "-o", dest, "--api-url", api.url)
    assert rc == 1
    assert_one_line_error(err, "exists already", "--force")
    assert dest.read_text() == "a co-author's notes"
    rc, _, err = run(
        capsys, "jobs", "download", job.id, "-o", dest, "--force", "--api-url", api.url
    )
    assert rc == 0, err
    assert dest.read_text() != "a co-author's notes"


def test_jobs_download_of_an_unfinished_job_is_a_clear_error(capsys, api, tmp_path):
    job = api.client().create_job("tweets")
    rc, _, err = run(capsys, "jobs", "download", job.id, "--api-url", api.url)
    assert rc == 1
    assert_one_line_error(err, f"Job {job.id} is created, not complete")


def test_jobs_get_unknown_job_is_one_line(capsys, api):
    rc, out, err = run(capsys, "jobs", "get", "1234567890123456789", "--api-url", api.url)
    assert rc == 1 and out == ""
    assert_one_line_error(err)
    assert api.bearer_token not in err


def test_jobs_with_a_wrong_token_is_one_line_and_hides_the_token(capsys, sandbox, monkeypatch):
    monkeypatch.setenv("X_BEARER_TOKEN", FAKE_TOKEN)
    rc, _out, err = run(capsys, "jobs", "list", "--kind", "tweets", "--api-url", sandbox.url)
    assert rc == 1
    assert_one_line_error(err)
    assert FAKE_TOKEN not in err and FAKE_TOKEN[:16] not in err


def test_jobs_without_a_token(capsys, sandbox):
    rc, _, err = run(capsys, "jobs", "list", "--kind", "tweets", "--api-url", sandbox.url)
    assert rc == 1
    assert_one_line_error(err, "No bearer token", "X_BEARER_TOKEN")


def test_jobs_rejects_a_malformed_job_id_and_a_bad_api_url(capsys, api):
    rc, _, err = run(capsys, "jobs", "get", "12ab")
    assert rc == 2 and "1 to 19 digits" in err and err.count("\n") == 1
    rc, _, err = run(capsys, "jobs", "get", "123", "--api-url", "api.x.com")
    assert rc == 1
    assert_one_line_error(err, "--api-url must start with http")


# -- help, sandbox, apply-jsonl ----------------------------------------------------------


@pytest.mark.parametrize(
    "argv",
    [
        [],
        ["demo"],
        ["check"],
        ["jobs"],
        ["jobs", "list"],
        ["jobs", "get"],
        ["jobs", "cancel"],
        ["jobs", "download"],
        ["jobs", "wait"],
        ["sandbox"],
        ["apply-jsonl"],
        ["apply"],
    ],
)
def test_every_command_has_help_with_examples(capsys, argv):
    rc, out, _ = run(capsys, *argv, "--help")
    assert rc == 0
    assert out.startswith("usage: compliance-nb")
    examples = out.split("examples:\n", 1)[1]
    commands = [line.split()[:3] for line in examples.splitlines() if "compliance-nb " in line]
    assert commands  # kept as written, one example a line
    named = " ".join(argv[:2]) if argv[:1] == ["jobs"] and len(argv) > 1 else " ".join(argv[:1])
    assert any(" ".join(c[1:]).startswith(named) for c in commands), examples


def test_sandbox_command_delegates_to_serve_cli(monkeypatch):
    import compliance_nb.sandbox as sandbox_pkg

    seen: list[list[str]] = []
    monkeypatch.setattr(sandbox_pkg, "serve_cli", lambda argv: seen.append(argv) or 0)
    rc = main(["sandbox", "--port", "8765", "--delay", "0.5", "--seed", "3"])
    assert rc == 0
    assert seen == [["--port", "8765", "--delay", "0.5", "--seed", "3"]]
    assert main(["sandbox", "--token", "my-sandbox-token"]) == 0
    assert seen[-1] == ["--token", "my-sandbox-token"]
    assert main(["sandbox", "--transfer-urls", "api"]) == 0
    assert seen[-1] == ["--transfer-urls", "api"]


def test_sandbox_transfer_urls_flag_reaches_the_server(monkeypatch, capsys):
    from compliance_nb.sandbox import _server

    made: list = []

    def serve_forever(self):  # stop at once instead of serving until Ctrl-C
        made.append(self)
        self.stop()

    monkeypatch.setattr(_server.Sandbox, "serve_forever", serve_forever)
    assert main(["sandbox", "--transfer-urls", "api"]) == 0
    assert made and made[0].transfer_urls == "api"
    assert "Upload and download URLs: api" in capsys.readouterr().out
    assert main(["sandbox"]) == 0
    assert made[-1].transfer_urls == "storage"  # the default
    rc = main(["sandbox", "--transfer-urls", "gcs"])
    assert rc == 2


@pytest.mark.slow
def test_sandbox_command_serves_until_terminated(tmp_path):
    proc = subprocess.Popen(
        [sys.executable, "-m", "compliance_nb.cli", "sandbox", "--port", "0", "--delay", "0"],
        cwd=tmp_path,
        env=_subprocess_env(),
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        lines = []
        while len(lines) < 10:
            line = proc.stdout.readline()
            if not line:
                break
            lines.append(line)
            if any(x.startswith("Bearer token:") for x in lines) and any(
                x.startswith("API URL:") for x in lines
            ):
                break
        url = next(x for x in lines if x.startswith("API URL:")).split(":", 1)[1].strip()
        token = next(x for x in lines if x.startswith("Bearer token:")).split(":", 1)[1].strip()
        from compliance_nb import ComplianceClient

        client = ComplianceClient(bearer_token=token, base_url=url)
        assert client.create_job("users").type == "users"
    finally:
        proc.terminate()
        proc.wait(timeout=30)


def test_apply_jsonl_missing_source_is_one_line(capsys, tmp_path):
    rc, _out, err = run(
        capsys, "apply-jsonl", tmp_path / "nope.jsonl", tmp_path / "out.jsonl", "--sandbox"
    )
    assert rc == 1
    assert_one_line_error(err, "No such input file")
    assert not (tmp_path / "out.jsonl").exists()


def test_apply_jsonl_writes_a_compliant_copy(capsys, tmp_path, sandbox):
    pytest.importorskip("compliance_nb.jsonl.apply")
    tweets = sample_tweets(60, seed=9, backend="polars").drop_nulls("id").unique("id")
    source = tmp_path / "collection.jsonl"
    source.write_text(
        "".join(
            json.dumps({"id": i, "author_id": a, "text": t}) + "\n"
            for i, a, t in tweets.select("id", "author_id", "text").iter_rows()
        )
    )
    dest = tmp_path / "compliant.jsonl"
    rc, out, err = run(capsys, "apply-jsonl", source, dest, "--sandbox")
    assert rc == 0, err
    assert out.strip()
    kept = {json.loads(line)["id"] for line in dest.read_text().splitlines() if line.strip()}
    verdicts = sandbox.expected(tweets["id"].to_list(), "tweets")
    removed = set(
        verdicts.filter(
            pl.col("action").is_not_null() & ~pl.col("reason").is_in(["scrub_geo", "geo_scrubbed"])
        )["id"].to_list()
    )
    gone_authors = expected_action_ids(sandbox, tweets["author_id"].to_list(), "users")
    must_go = removed | set(
        tweets.filter(pl.col("author_id").is_in(list(gone_authors)))["id"].to_list()
    )
    assert must_go  # the sample has something to remove
    assert kept == set(tweets["id"].to_list()) - must_go


def test_check_refuses_nested_columns_for_csv_output_before_any_job(capsys, tmp_path, api):
    source = tmp_path / "nested.jsonl"
    source.write_text('{"id": "1212092628029698048", "entities": {"tags": ["a"]}}\n')
    dest = tmp_path / "out.csv"
    rc, _, err = run(capsys, "check", source, "--id-column", "id", "-o", dest, "--api-url", api.url)
    assert rc == 1
    assert_one_line_error(err, "'entities'", ".parquet or .jsonl")
    assert api.jobs_created == 0
    assert not dest.exists()


def test_version(capsys):
    import compliance_nb

    rc, out, _ = run(capsys, "--version")
    assert rc == 0
    assert out.strip() == f"compliance-nb {compliance_nb.__version__}"
