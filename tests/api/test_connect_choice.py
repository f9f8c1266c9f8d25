"""connect(): the real API with a token, else one shared built-in sandbox; one clear line;
never the token."""

from __future__ import annotations

import pytest

from compliance_nb import MissingTokenError, connect

FAKE_TOKEN = "AAAAAAAAAAAAAAAAAAAAAConnectTestFakeToken%2Bxyz0123456789"


def test_without_a_token_it_uses_the_sandbox_and_says_results_are_simulated(capsys):
    client = connect(processing_delay=0)
    out = capsys.readouterr().out
    assert out.count("\n") == 1  # one line
    assert out.startswith(f"Using the built-in sandbox at {client.base_url}")
    assert "SIMULATED" in out
    assert "X_BEARER_TOKEN" in out  # says how to use the real API
    assert client.base_url.startswith("http://127.0.0.1:")
    assert client.is_sandbox is True


def test_the_sandbox_client_works_end_to_end():
    client = connect(processing_delay=0, verbose=False)
    job = client.create_job("tweets")
    assert client.get_job(job.id).status == "created"
    assert job.id in [j.id for j in client.list_jobs("tweets")]


def test_one_sandbox_per_process(capsys):
    first = connect(processing_delay=0, verbose=False)
    second = connect(processing_delay=0, verbose=False)
    assert first.base_url == second.base_url
    assert capsys.readouterr().out == ""  # verbose=False prints nothing


def test_with_a_token_it_uses_the_real_api_and_names_the_variable(monkeypatch, capsys):
    monkeypatch.setenv("TWITTER_BEARER_TOKEN", FAKE_TOKEN)
    client = connect()
    out = capsys.readouterr().out
    assert out == "Using the X API at https://api.x.com (token from TWITTER_BEARER_TOKEN).\n"
    assert client.base_url == "https://api.x.com"
    assert client.has_token
    assert FAKE_TOKEN not in out and FAKE_TOKEN[:8] not in out
    assert FAKE_TOKEN not in repr(client)


def test_the_first_token_variable_set_wins_and_the_api_url_comes_from_the_env(monkeypatch, capsys):
    monkeypatch.setenv("BEARER_TOKEN", "other-token")
    monkeypatch.setenv("X_BEARER_TOKEN", FAKE_TOKEN)
    monkeypatch.setenv("COMPLIANCE_NB_API_URL", "https://api.twitter.com/")
    client = connect()
    assert client.base_url == "https://api.twitter.com"
    assert "(token from X_BEARER_TOKEN)" in capsys.readouterr().out


def test_env_switch_forces_the_sandbox_and_says_the_token_is_not_used(monkeypatch, capsys):
    monkeypatch.setenv("X_BEARER_TOKEN", FAKE_TOKEN)
    monkeypatch.setenv("COMPLIANCE_NB_SANDBOX", "1")
    client = connect(processing_delay=0)
    out = capsys.readouterr().out
    assert client.base_url.startswith("http://127.0.0.1:")
    assert "SIMULATED" in out and "COMPLIANCE_NB_SANDBOX=1" in out
    assert "X_BEARER_TOKEN is not used" in out
    assert FAKE_TOKEN not in out


def test_sandbox_true_forces_the_sandbox_even_with_a_token(monkeypatch, capsys):
    monkeypatch.setenv("X_BEARER_TOKEN", FAKE_TOKEN)
    client = connect(sandbox=True, processing_delay=0)
    assert client.base_url.startswith("http://127.0.0.1:")
    assert "connect(sandbox=True)" in capsys.readouterr().out


def test_sandbox_false_forces_the_real_api_even_with_the_env_switch(monkeypatch):
    monkeypatch.setenv("X_BEARER_TOKEN", FAKE_TOKEN)
    monkeypatch.setenv("COMPLIANCE_NB_SANDBOX", "1")
    assert connect(sandbox=False, verbose=False).base_url == "https://api.x.com"


def test_sandbox_false_without_a_token_is_a_clear_error():
    with pytest.raises(MissingTokenError, match="X_BEARER_TOKEN"):
        connect(sandbox=False)


def test_a_blank_token_counts_as_no_token(monkeypatch, capsys):
    monkeypatch.setenv("X_BEARER_TOKEN", "   ")
    client = connect(processing_delay=0)
    assert client.base_url.startswith("http://127.0.0.1:")
    assert "SIMULATED" in capsys.readouterr().out
