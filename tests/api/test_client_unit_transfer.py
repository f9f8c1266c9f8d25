"""Unit tests of uploads, downloads and ID validation (storage mocked with requests-mock)."""

from __future__ import annotations

import io
import re
from datetime import datetime, timedelta, timezone

import numpy as np
import pytest
import requests
from _client_helpers import (
    DOWNLOAD_URL,
    TOKEN,
    UPLOAD_URL,
    FakeClock,
    all_text,
    job_body,
    make_client,
)

from compliance_nb import (
    DownloadError,
    DownloadWindowExpiredError,
    InputError,
    Job,
    UploadError,
    UploadWindowExpiredError,
)
from compliance_nb.api import idsource as _idsource
from compliance_nb.api.idsource import prepare_ids
from compliance_nb.rules.limits import RESUMABLE_CHUNK

JOB_ID = "1425543269983784962"
SESSION_URI = UPLOAD_URL + "&upload_id=SESSIONsecret"


def new_job(**kw) -> Job:
    return Job.from_api(job_body(JOB_ID, **kw))


def xml_error(code: str, message: str = "Invalid argument.") -> str:
    return (
        "<?xml version='1.0' encoding='UTF-8'?><Error><Code>"
        f"{code}</Code><Message>{message}</Message><Details>{UPLOAD_URL}</Details></Error>"
    )


# -- ID validation ------------------------------------------------
@pytest.mark.parametrize(
    ("content", "line", "shown"),
    [
        (b"20\n\n21\n", 2, "''"),
        (b"20\n21\nabc\n", 3, "'abc'"),
        (b"1\n2\n3\n1234567890123456789012\n", 4, "'1234567890123456789012'"),
        (b"9223372036854775807\n9223372036854775808\n", 2, "'9223372036854775808'"),
        (b"20\n0\n", 2, "'0'"),
        (b"id\n20\n", 1, "'id'"),
        (b"20\n21\n22", None, None),  # a last line without newline is fine
        (b"20\n1.5e18\n", 2, "'1.5e18'"),
        (b"20\n-21\n", 2, "'-21'"),
        (b"20\n\xd9\xa3\n", 2, None),  # an Arabic-Indic digit is not an ASCII decimal
    ],
)
def test_file_lines_are_validated_with_line_number_and_content(tmp_path, content, line, shown):
    path = tmp_path / "ids.txt"
    path.write_bytes(content)
    if line is None:
        body = prepare_ids(path)
        assert body.count == 3 and body.size == len(content) and body.data is None
        return
    with pytest.raises(InputError) as info:
        prepare_ids(path)
    assert f"Line {line} is not an ID (" in str(info.value)
    if shown:
        assert shown in str(info.value)


def test_the_largest_id_is_accepted_and_one_more_is_not():
    assert prepare_ids([2**63 - 1, "9223372036854775807"]).count == 2
    for value in (2**63, "9223372036854775808", 2**64 - 1):
        with pytest.raises(InputError, match=r"above the largest ID \(9223372036854775807\)"):
            prepare_ids([value])


@pytest.mark.parametrize(
    ("content", "sent"),
    [
        (b"20\n 21\n", b"20\n21\n"),
        (b"20\r\n21\r\n", b"20\n21\n"),
        (b"20\n007\n21", b"20\n7\n21\n"),
        (b"\t0000000000000000042 \n", b"42\n"),
    ],
)
def test_file_lines_that_are_ids_written_otherwise_are_sent_canonical(tmp_path, content, sent):
    path = tmp_path / "ids.txt"
    path.write_bytes(content)
    body = prepare_ids(path)
    try:
        assert body.path != path and body.temporary  # the caller's file is left as it is
        with body.open() as f:
            assert f.read() == sent
        assert (body.size, body.count) == (len(sent), sent.count(b"\n"))
    finally:
        body.close()
    assert path.read_bytes() == content
    assert body.path is not None and not body.path.exists()
    with open(path, "rb") as f:  # a seekable file object: the same bytes
        body = prepare_ids(f)
        with body.open() as g:
            assert g.read() == sent
        body.close()


def test_line_numbers_are_right_across_read_blocks(tmp_path, monkeypatch):
    monkeypatch.setattr(_idsource, "_READ_BLOCK", 7)  # many blocks, lines split across them
    lines = [str(1_000_000 + i) for i in range(1000)]
    lines[876] = "12x4"
    path = tmp_path / "ids.txt"
    path.write_text("\n".join(lines) + "\n")
    with pytest.raises(InputError, match=r"Line 877 is not an ID \(not decimal digits\): '12x4'"):
        prepare_ids(path)
    lines[876] = "1"
    path.write_text("\n".join(lines) + "\n")
    assert prepare_ids(path).count == 1000


def test_empty_input_is_an_error(tmp_path):
    (tmp_path / "e.txt").write_bytes(b"")
    for source in (tmp_path / "e.txt", [], io.BytesIO(b"")):
        with pytest.raises(InputError, match="no IDs"):
            prepare_ids(source)


def test_iterables_take_ints_strs_and_numpy_ints_in_order():
    body = prepare_ids([20, "1265324480517361664", np.uint64(2**63 - 1), np.int64(7), " 08"])
    assert body.data == b"20\n1265324480517361664\n9223372036854775807\n7\n8"
    assert body.count == 5


@pytest.mark.parametrize(
    ("item", "words"),
    [
        (1.2653244805173617e18, "float"),
        (np.float64(20.0), "float"),
        (True, "boolean"),
        (None, "NoneType"),
        ("12\n34", "not decimal digits"),
        (b"20", "bytes"),
    ],
)
def test_iterable_items_that_are_not_ids(item, words):
    with pytest.raises(InputError) as info:
        prepare_ids(["20", item])
    assert "ID number 2" in str(info.value)
    assert words in str(info.value)


def test_non_decimal_strings_in_an_iterable_name_the_item():
    with pytest.raises(InputError, match=r"ID number 3 is not an ID \(not decimal digits\): '2O'"):
        prepare_ids(["1", "2", "2O"])


def test_file_objects_seekable_unseekable_and_text_mode():
    f = io.BytesIO(b"xx\n20\n21\n")
    f.read(3)  # the IDs start where the file is positioned
    body = prepare_ids(f)
    assert body.count == 2 and body.open().read() == b"20\n21\n"

    class Pipe(io.RawIOBase):
        def __init__(self, data: bytes) -> None:
            self._b = io.BytesIO(data)

        def readable(self):
            return True

        def readinto(self, b):
            chunk = self._b.read(len(b))
            b[: len(chunk)] = chunk
            return len(chunk)

    body = prepare_ids(Pipe(b"5\n6\n"))
    try:
        assert body.temporary and body.open().read() == b"5\n6\n"
    finally:
        body.close()
    assert not body.path.exists()
    with pytest.raises(InputError, match="binary mode"):
        prepare_ids(io.StringIO("20\n"))


def test_a_missing_path_is_an_input_error(tmp_path):
    with pytest.raises(InputError, match="not a file"):
        prepare_ids(tmp_path / "nope.txt")
    with pytest.raises(InputError):
        prepare_ids(42)


# -- plain uploads ------------------------------------------------
def test_bad_ids_send_nothing(requests_mock):
    with pytest.raises(InputError):
        make_client().upload(new_job(), ["20", "x"])
    assert requests_mock.call_count == 0


def test_plain_upload_is_a_put_with_text_plain_and_no_authorization(requests_mock, tmp_path):
    user_session = requests.Session()
    user_session.headers["Authorization"] = f"Bearer {TOKEN}"
    user_session.auth = ("user", "pw")
    requests_mock.put(UPLOAD_URL, status_code=200)
    path = tmp_path / "ids.txt"
    path.write_bytes(b"20\n1265324480517361664\n")
    events = []
    make_client(session=user_session).upload(new_job(), path, progress=events.append)
    request = requests_mock.last_request
    assert request.method == "PUT"
    assert request.headers["Content-Type"] == "text/plain"
    assert "Authorization" not in request.headers
    assert TOKEN not in str(request.headers)
    assert request.headers["Content-Length"] == str(path.stat().st_size)
    assert events[-1].stage == "uploaded"
    uploading = [e for e in events if e.stage == "uploading"]
    assert uploading[-1].bytes_done == uploading[-1].bytes_total == path.stat().st_size


def test_plain_upload_body_is_streamed_from_disk(requests_mock, tmp_path):
    seen = {}

    def answer(request, context):
        seen["body"] = request.body
        return ""

    requests_mock.put(UPLOAD_URL, text=answer)
    path = tmp_path / "ids.txt"
    path.write_bytes(b"1\n2\n")
    make_client().upload(new_job(), path)
    assert not isinstance(seen["body"], (bytes, str))  # a reader, not the file in memory
    assert prepare_ids(path).data is None


def test_upload_window_is_checked_before_sending(requests_mock):
    old = datetime.now(timezone.utc) - timedelta(minutes=16)
    with pytest.raises(UploadWindowExpiredError, match="Create a new job"):
        make_client().upload(new_job(created=old), ["20"])
    assert requests_mock.call_count == 0


@pytest.mark.parametrize(
    ("status", "code", "cls", "words"),
    [
        (400, "ExpiredToken", UploadWindowExpiredError, "15-minute upload window"),
        (403, "SignatureDoesNotMatch", UploadError, "did not match what X signed"),
        (403, "AccessDenied", UploadError, "denied access"),
        (400, "InvalidArgument", UploadError, "InvalidArgument"),
    ],
)
def test_storage_xml_errors_become_sentences(requests_mock, status, code, cls, words):
    requests_mock.put(UPLOAD_URL, status_code=status, text=xml_error(code))
    with pytest.raises(cls) as info:
        make_client().upload(new_job(), ["20"])
    err = info.value
    assert type(err) is cls
    assert err.code == code and err.status == status
    assert words in str(err)
    assert "UPSIGsecret" not in all_text(err) and "<Error>" not in str(err)


def test_storage_error_without_xml(requests_mock):
    requests_mock.put(UPLOAD_URL, status_code=413, text="too big")
    with pytest.raises(UploadError, match="HTTP 413") as info:
        make_client().upload(new_job(), ["20"])
    assert info.value.code is None


def test_plain_upload_retries_a_5xx_then_succeeds(requests_mock):
    requests_mock.put(UPLOAD_URL, [{"status_code": 503}, {"status_code": 200}])
    clock = FakeClock()
    make_client(clock).upload(new_job(), ["20"])
    assert requests_mock.call_count == 2 and len(clock.sleeps) == 1


def test_upload_to_a_job_that_is_not_new_is_refused(requests_mock):
    with pytest.raises(InputError, match="in_progress"):
        make_client().upload(new_job(status="in_progress"), ["20"])
    assert requests_mock.call_count == 0


# -- resumable uploads ------------------------------------------------
class FakeGCS:
    """A resumable session that stores whole 256 KiB blocks and can fail on request."""

    def __init__(self, total: int, failures: dict[int, str] | None = None) -> None:
        self.total = total
        self.stored = bytearray()
        self.failures = failures or {}  # chunk PUT number -> "drop" | "503"
        self.puts: list[dict] = []

    def start(self, request, context):
        self.start_headers = dict(request.headers)
        context.status_code = 201
        context.headers["Location"] = SESSION_URI
        return ""

    def put(self, request, context):
        content_range = request.headers["Content-Range"]
        body = request.body or b""
        self.puts.append({"range": content_range, "len": len(body), "headers": request.headers})
        m = re.fullmatch(r"bytes (\d+)-(\d+)/(\d+)", content_range)
        number = len(self.puts)
        if m:
            first, last = int(m.group(1)), int(m.group(2))
            assert first == len(self.stored), "chunk does not start where storage ended"
            assert len(body) == last - first + 1
            kind = self.failures.get(number)
            if kind == "drop":  # keep the first whole block, then lose the connection
                self.stored += body[:RESUMABLE_CHUNK]
                raise requests.ConnectionError("connection reset")
            if kind == "503":
                context.status_code = 503
                return ""
            self.stored += body
        if len(self.stored) == self.total:
            context.status_code = 200
            return ""
        context.status_code = 308
        if self.stored:
            context.headers["Range"] = f"bytes=0-{len(self.stored) - 1}"
        return ""


def _resumable_setup(requests_mock, data: bytes, failures=None) -> FakeGCS:
    gcs = FakeGCS(len(data), failures)
    requests_mock.post(UPLOAD_URL, text=gcs.start)
    requests_mock.put(SESSION_URI, text=gcs.put)
    return gcs


def _ids_bytes(n: int) -> bytes:
    return ("\n".join(str(1_265_324_480_517_361_664 + i) for i in range(n)) + "\n").encode()


def test_resumable_upload_protocol(requests_mock, tmp_path):
    data = _ids_bytes(60_000)  # ~1.2 MB: several 256 KiB chunks
    path = tmp_path / "ids.txt"
    path.write_bytes(data)
    gcs = _resumable_setup(requests_mock, data)
    events = []
    make_client().upload(new_job(resumable=True), path, progress=events.append, chunk_size=300_000)
    assert bytes(gcs.stored) == data
    start = requests_mock.request_history[0]
    assert start.method == "POST"
    assert start.headers["x-goog-resumable"] == "start"
    assert start.headers["Content-Type"] == "text/plain"
    assert start.headers["Content-Length"] == "0"
    sizes = [p["len"] for p in gcs.puts]
    assert all(s == RESUMABLE_CHUNK for s in sizes[:-1])  # 300_000 rounds down to 256 KiB
    assert gcs.puts[0]["range"] == f"bytes 0-{RESUMABLE_CHUNK - 1}/{len(data)}"
    assert all("Authorization" not in r.headers for r in requests_mock.request_history)
    done = [e.bytes_done for e in events if e.stage == "uploading"]
    assert done == sorted(done) and done[-1] == len(data)


@pytest.mark.parametrize("failure", ["drop", "503"])
def test_resumable_upload_resumes_from_the_last_stored_byte(requests_mock, failure):
    data = _ids_bytes(60_000)
    gcs = _resumable_setup(requests_mock, data, failures={2: failure})
    events = []
    make_client().upload(
        new_job(resumable=True),
        io.BytesIO(data),
        progress=events.append,
        chunk_size=2 * RESUMABLE_CHUNK,
    )
    assert bytes(gcs.stored) == data
    ranges = [p["range"] for p in gcs.puts]
    assert ranges[2] == f"bytes */{len(data)}"  # the status query after the failure
    stored_at_failure = 3 * RESUMABLE_CHUNK if failure == "drop" else 2 * RESUMABLE_CHUNK
    assert ranges[3].startswith(f"bytes {stored_at_failure}-")
    assert [e.stage for e in events].count("retrying") == 1


def test_resumable_upload_gives_up_after_bounded_retries(requests_mock):
    data = _ids_bytes(1000)
    requests_mock.post(UPLOAD_URL, status_code=201, headers={"Location": SESSION_URI})
    requests_mock.put(SESSION_URI, status_code=503)
    with pytest.raises(UploadError, match="retries") as info:
        make_client(max_retries=2).upload(new_job(resumable=True), io.BytesIO(data))
    assert "SESSIONsecret" not in all_text(info.value)
    assert requests_mock.call_count <= 1 + 1 + 2  # start, chunk, 2 status queries


def test_resumable_start_without_location_is_an_upload_error(requests_mock):
    requests_mock.post(UPLOAD_URL, status_code=201)
    with pytest.raises(UploadError, match="Location"):
        make_client().upload(new_job(resumable=True), ["20"])


def test_resumable_expired_token_on_start(requests_mock):
    requests_mock.post(UPLOAD_URL, status_code=400, text=xml_error("ExpiredToken"))
    with pytest.raises(UploadWindowExpiredError) as info:
        make_client().upload(new_job(resumable=True), ["20"])
    assert info.value.code == "ExpiredToken"


# -- downloads ------------------------------------------------
RESULTS = (
    b'{"id":"20","action":"delete","created_at":"2006-03-21T20:50:14.000Z",'
    b'"redacted_at":"2020-07-29T17:02:47.000Z","reason":"deleted"}\n'
)


def test_download_streams_to_dest_atomically_without_authorization(requests_mock, tmp_path):
    user_session = requests.Session()
    user_session.headers["Authorization"] = f"Bearer {TOKEN}"
    requests_mock.get(DOWNLOAD_URL, content=RESULTS)
    events = []
    dest = tmp_path / "out" / "r.jsonl"
    path = make_client(session=user_session).download(
        new_job(status="complete"), dest, progress=events.append
    )
    assert path == dest and dest.read_bytes() == RESULTS
    assert list(dest.parent.iterdir()) == [dest]  # no temporary file left behind
    assert "Authorization" not in requests_mock.last_request.headers
    assert next(e.stage for e in events) == "downloading"
    assert events[-1].stage == "downloaded" and events[-1].bytes_done == len(RESULTS)


def test_download_default_dest_and_folder_dest_are_named_after_the_job(requests_mock, tmp_path):
    requests_mock.get(DOWNLOAD_URL, content=RESULTS)
    job = new_job(status="complete")
    assert JOB_ID in make_client().download(job).name
    path = make_client().download(job, tmp_path)
    assert path.parent == tmp_path and JOB_ID in path.name and path.read_bytes() == RESULTS


def test_download_resumes_with_range_after_a_short_read(requests_mock, tmp_path):
    cut = 40
    requests_mock.get(
        DOWNLOAD_URL,
        [
            {"content": RESULTS[:cut], "headers": {"Content-Length": str(len(RESULTS))}},
            {"status_code": 206, "content": RESULTS[cut:]},
        ],
    )
    path = make_client().download(new_job(status="complete"), tmp_path / "r.jsonl")
    assert path.read_bytes() == RESULTS
    assert requests_mock.request_history[1].headers["Range"] == f"bytes={cut}-"


def test_download_starts_over_when_the_server_ignores_range(requests_mock, tmp_path):
    requests_mock.get(
        DOWNLOAD_URL,
        [
            {"content": RESULTS[:10], "headers": {"Content-Length": str(len(RESULTS))}},
            {"status_code": 200, "content": RESULTS},
        ],
    )
    path = make_client().download(new_job(status="complete"), tmp_path / "r.jsonl")
    assert path.read_bytes() == RESULTS


class _RecordingSink:
    """What a sink is told: the bytes it was fed since the last restart."""

    def __init__(self) -> None:
        self.data = b""
        self.restarts = 0

    def feed(self, data: bytes) -> None:
        self.data += data

    def restart(self) -> None:
        self.data = b""
        self.restarts += 1


def test_a_sink_gets_the_bytes_once_in_order_across_a_resumed_download(requests_mock, tmp_path):
    cut = 40
    requests_mock.get(
        DOWNLOAD_URL,
        [
            {"content": RESULTS[:cut], "headers": {"Content-Length": str(len(RESULTS))}},
            {"status_code": 206, "content": RESULTS[cut:]},
        ],
    )
    sink = _RecordingSink()
    path = make_client().download(new_job(status="complete"), tmp_path / "r.jsonl", sink=sink)
    assert sink.data == path.read_bytes() == RESULTS
    assert sink.restarts == 0


def test_a_sink_starts_over_with_the_file_when_the_server_ignores_range(requests_mock, tmp_path):
    requests_mock.get(
        DOWNLOAD_URL,
        [
            {"content": RESULTS[:10], "headers": {"Content-Length": str(len(RESULTS))}},
            {"status_code": 200, "content": RESULTS},
        ],
    )
    sink = _RecordingSink()
    path = make_client().download(new_job(status="complete"), tmp_path / "r.jsonl", sink=sink)
    assert sink.data == path.read_bytes() == RESULTS  # not the first 10 bytes twice
    assert sink.restarts == 1


def test_download_retries_are_bounded_and_leave_no_file(requests_mock, tmp_path):
    requests_mock.get(DOWNLOAD_URL, exc=requests.ConnectionError("reset"))
    with pytest.raises(DownloadError, match="retries"):
        make_client(max_retries=2).download(new_job(status="complete"), tmp_path / "r.jsonl")
    assert list(tmp_path.iterdir()) == []
    assert requests_mock.call_count == 3


def test_download_checks_the_job_first(requests_mock, tmp_path):
    with pytest.raises(DownloadError, match="in_progress"):
        make_client().download(new_job(status="in_progress"), tmp_path)
    old = datetime.now(timezone.utc) - timedelta(days=8)
    with pytest.raises(DownloadWindowExpiredError, match="7 days"):
        make_client().download(new_job(status="complete", created=old), tmp_path)
    assert requests_mock.call_count == 0


@pytest.mark.parametrize(
    ("status", "code", "cls"),
    [
        (400, "ExpiredToken", DownloadWindowExpiredError),
        (403, "SignatureDoesNotMatch", DownloadError),
        (404, "NoSuchKey", DownloadError),
    ],
)
def test_download_storage_errors(requests_mock, tmp_path, status, code, cls):
    requests_mock.get(DOWNLOAD_URL, status_code=status, text=xml_error(code))
    with pytest.raises(cls) as info:
        make_client().download(new_job(status="complete"), tmp_path / "r.jsonl")
    assert type(info.value) is cls and info.value.code == code
    assert "DOWNSIGsecret" not in all_text(info.value)
    assert list(tmp_path.iterdir()) == []


def test_a_failed_transfer_shows_no_signature_even_in_the_traceback(requests_mock, tmp_path):
    import traceback

    requests_mock.put(UPLOAD_URL, exc=requests.ConnectionError(f"failed: {UPLOAD_URL}"))
    requests_mock.get(DOWNLOAD_URL, exc=requests.ConnectionError(f"failed: {DOWNLOAD_URL}"))
    client = make_client(max_retries=1)
    for call in (
        lambda: client.upload(new_job(), ["20"]),
        lambda: client.download(new_job(status="complete"), tmp_path / "r.jsonl"),
    ):
        with pytest.raises((UploadError, DownloadError)) as info:
            call()
        shown = "".join(traceback.format_exception(info.value))
        assert "UPSIGsecret" not in shown and "DOWNSIGsecret" not in shown


def test_a_non_transient_request_error_is_masked(requests_mock):
    requests_mock.put(UPLOAD_URL, exc=requests.exceptions.InvalidHeader(f"bad {UPLOAD_URL}"))
    with pytest.raises(UploadError) as info:
        make_client().upload(new_job(), ["20"])
    assert "UPSIGsecret" not in all_text(info.value)
    assert "X-Goog-Signature=***" in str(info.value)


@pytest.mark.parametrize(
    ("source", "words"),
    [
        ([1, -2], "ID number 2 is not an ID (negative): -2"),
        (np.array([5, -2, 7]), "ID number 2 is not an ID (negative): -2"),
        ([1, 2, 2**64], "ID number 3 is not an ID (above the largest ID"),
        ([1, True], "ID number 2 is not an ID (a boolean, not an ID)"),
        ([1, 0], "ID number 2 is not an ID (zero)"),
    ],
)
def test_integer_sources_name_the_bad_item(source, words):
    with pytest.raises(InputError) as info:
        prepare_ids(source)
    assert words in str(info.value)


def test_integer_array_fast_path_is_exact():
    arr = np.array([2**63 - 1, 2**62 + 1, 20], dtype=np.uint64)
    assert prepare_ids(arr).data == b"9223372036854775807\n4611686018427387905\n20"
    with pytest.raises(InputError, match="ID number 2 is not an ID"):
        prepare_ids(np.array([20, 2**63], dtype=np.uint64))


def test_retry_logs_and_events_carry_no_signature(requests_mock, caplog):
    import logging

    caplog.set_level(logging.DEBUG)
    data = _ids_bytes(30_000)
    _resumable_setup(requests_mock, data, failures={1: "drop"})
    events = []
    make_client().upload(new_job(resumable=True), io.BytesIO(data), progress=events.append)
    records = [r for r in caplog.records if not r.name.startswith("requests_mock")]
    texts = [r.getMessage() for r in records] + [repr(e) for e in events]
    texts += [e.message or "" for e in events]
    assert any("retry" in t for t in texts)
    for secret in ("UPSIGsecret", "SESSIONsecret", TOKEN):
        assert [t for t in texts if secret in t] == []


def test_the_timeout_is_passed_to_every_request(requests_mock, tmp_path):
    requests_mock.put(UPLOAD_URL, status_code=200)
    requests_mock.get(DOWNLOAD_URL, content=RESULTS)
    client = make_client(timeout=7.5)
    client.upload(new_job(), ["20"])
    client.download(new_job(status="complete"), tmp_path / "r.jsonl")
    assert [r.timeout for r in requests_mock.request_history] == [7.5, 7.5]


def test_urllib3_debug_lines_are_masked(caplog):
    import logging

    caplog.set_level(logging.DEBUG)
    logging.getLogger("urllib3.connectionpool").debug('"%s %s" %s', "PUT", UPLOAD_URL, 200)
    assert "UPSIGsecret" not in caplog.text and "X-Goog-Signature=***" in caplog.text


def test_a_url_signed_for_resumable_uploads_is_used_that_way(requests_mock):
    body = job_body(JOB_ID, resumable=False)  # the flag says no ...
    body["upload_url"] = UPLOAD_URL.replace(
        "content-type%3Bhost", "content-length%3Bcontent-type%3Bhost%3Bx-goog-resumable"
    )  # ... but the URL was signed for a session start
    job = Job.from_api(body)
    requests_mock.post(job.upload_url, status_code=201, headers={"Location": SESSION_URI})
    requests_mock.put(SESSION_URI, status_code=200)
    make_client().upload(job, ["20"])
    assert [r.method for r in requests_mock.request_history] == ["POST", "PUT"]
