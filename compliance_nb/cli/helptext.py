"""The examples at the end of each command's ``--help`` (argparse epilogs, kept as written)."""

from __future__ import annotations

__all__ = ["EPILOGS", "EXIT_STATUS"]

EXIT_STATUS = """\
exit status:
  0    success
  1    the command failed (one line on stderr: "compliance-nb: error: ...")
  2    usage error (a wrong or missing option)
  130  interrupted (Ctrl-C); a job already created goes on and the same command
       run again reattaches to it"""

EPILOGS = {
    "main": """\
examples:
  compliance-nb check ids.txt -o results.csv          # one ID per line
  compliance-nb apply results.csv -o keep.csv         # the IDs you may keep
  compliance-nb check tweets.csv -o checked.csv --user-id-column author_id
  compliance-nb jobs list
  compliance-nb demo                                  # no token needed

The bearer token comes from $X_BEARER_TOKEN (or $TWITTER_BEARER_TOKEN, $BEARER_TOKEN).
Without one, try `compliance-nb demo` or add --sandbox (the built-in sandbox, SIMULATED
results). Progress goes to stderr (--quiet silences it); NO_COLOR turns colour off.

"""
    + EXIT_STATUS,
    "check": """\
inputs (by extension, each also gzip-compressed as .gz; `-` reads standard input):
  .txt .ids        one ID per line, no header; blank lines and lines starting with #
                   are ignored
  .csv .tsv        with a header line, or --no-header (columns column_1, column_2, ...);
                   a first line holding an ID is read as data, never dropped
  .parquet .jsonl  tables
  ID columns are always read as text. --id-column defaults to `id`, else the only column.

examples:
  compliance-nb check ids.txt -o results.csv
  compliance-nb check tweets.csv -o checked.parquet --user-id-column author_id
  compliance-nb check users.jsonl.gz --kind users -o users_checked.csv
  compliance-nb check export.csv --no-header --id-column 2 -o checked.csv
  cut -d, -f1 tweets.csv | compliance-nb check - --format csv -o checked.csv
  compliance-nb check ids.txt -o results.csv --name my-collection --no-wait
      # prints the job ID and exits; run the same command again (without --no-wait)
      # later: it reattaches to the job and writes results.csv
  compliance-nb check ids.txt -o results.csv --errors coerce
      # values that are not IDs get empty results instead of stopping the check

"""
    + EXIT_STATUS,
    "apply": """\
Rows whose result asks for removal (deleted, suspended, protected, deactivated, ...) are
dropped; rows with a geo scrub keep their row but lose their geo data. The same rules as
apply_compliance() in Python. The summary goes to stderr. CSV and TSV files are copied as
text: every value is written as it was read.

examples:
  compliance-nb check ids.txt -o results.csv && compliance-nb apply results.csv -o keep.csv
  compliance-nb check tweets.csv -o checked.csv && compliance-nb apply checked.csv -o clean.csv
  compliance-nb apply checked.parquet -o clean.parquet --geo-columns geo,place_id
  compliance-nb apply checked.csv -o clean.csv --drop-compliance-columns

"""
    + EXIT_STATUS,
    "apply-jsonl": """\
examples:
  compliance-nb apply-jsonl collection.jsonl compliant.jsonl
  compliance-nb apply-jsonl collection.jsonl.gz compliant.jsonl --sandbox

"""
    + EXIT_STATUS,
    "demo": """\
examples:
  compliance-nb demo
  compliance-nb demo --out demo_results --n 5000 --seed 7

"""
    + EXIT_STATUS,
    "jobs": """\
examples:
  compliance-nb jobs list
  compliance-nb jobs list --kind users --status complete --json
  compliance-nb jobs get 1425543269983784962
  compliance-nb jobs wait 1425543269983784962
  compliance-nb jobs download 1425543269983784962 -o results.jsonl
  compliance-nb jobs cancel 1425543269983784962
""",
    "jobs list": """\
examples:
  compliance-nb jobs list                       # Tweet and user jobs, newest first
  compliance-nb jobs list --kind tweets --status in_progress
  compliance-nb jobs list --json | head -20
""",
    "jobs get": """\
examples:
  compliance-nb jobs get 1425543269983784962
  compliance-nb jobs get 1425543269983784962 --json
""",
    "jobs wait": """\
Exit status 0 when the job is complete, 1 when it failed or expired.

examples:
  compliance-nb jobs wait 1425543269983784962
  compliance-nb jobs wait 1425543269983784962 --quiet && compliance-nb check ids.txt -o r.csv
""",
    "jobs cancel": """\
examples:
  compliance-nb jobs cancel 1425543269983784962
""",
    "jobs download": """\
examples:
  compliance-nb jobs download 1425543269983784962
  compliance-nb jobs download 1425543269983784962 -o results.jsonl
""",
    "sandbox": """\
examples:
  compliance-nb sandbox --port 8765
  X_BEARER_TOKEN=<the printed token> compliance-nb check ids.txt -o r.csv \\
      --api-url http://127.0.0.1:8765
""",
}
