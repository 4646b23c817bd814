"""Ingesting into the store: counts that add up, incremental runs, duplicates, damage."""

import gzip
import hashlib
import importlib
import json
import os

import pandas as pd
import pytest

from analyzer import ingest, read_frame
from analyzer.errors import SourceError, StoreError
from tests.conftest import make_message

SEPARATOR = b"From sender@example.org Tue Mar 14 10:00:00 2023\n"


def append_mbox(path, *messages):
    with open(path, "ab") as stream:
        for message in messages:
            stream.write(SEPARATOR + message + b"\n")


def numbered(n, **kwargs):
    return make_message(subject=f"message {n}", message_id=f"<{n}@example.org>", **kwargs)


def test_frames_hold_the_envelope(tmp_path):
    archive = tmp_path / "a.mbox"
    extra = (
        "Cc: =?UTF-8?Q?Zo=C3=AB?= <zoe@example.com>, carl@example.com\n"
        "Reply-To: alice+shop@example.org\n"
        "Received: from laptop ([192.0.2.7]) by smtp.example.org with ESMTPSA id 1; "
        "Tue, 14 Mar 2023 10:00:01 +0100\n"
        "User-Agent: Mozilla/5.0 Thunderbird/115.8.0\n"
        "DKIM-Signature: v=1; a=rsa-sha256; d=example.org; s=mail2023; bh=x; b=y\n"
        "X-GM-THRID: 1761234567890\nX-Gmail-Labels: Inbox,Important\n"
    )
    append_mbox(archive, make_message(extra=extra, date="Tue, 14 Mar 2023 10:00:00 -0000"))
    result = ingest([archive], tmp_path / "store", jobs=1)
    assert (result.messages_read, result.parsed, result.quarantined) == (1, 1, 0)

    message = read_frame(tmp_path / "store", "messages").iloc[0]
    assert message["from_addr"] == "alice@example.org"
    assert message["from_name"] == "Alice Example"
    assert message["date_utc"] == pd.Timestamp("2023-03-14 10:00:00", tz="UTC")
    assert pd.isna(message["tz_offset_min"])  # -0000 is unknown, not UTC
    assert (message["n_to"], message["n_cc"], message["n_received"]) == (1, 2, 1)
    assert list(message["dkim_domains"]) == ["example.org"]
    assert message["user_agent"].startswith("Mozilla/5.0 Thunderbird")
    assert (message["gm_thrid"], message["gmail_labels"]) == ("1761234567890", "Inbox,Important")
    assert message["message_id"] == "1@alice.example.org"

    people = read_frame(tmp_path / "store", "participants")
    roles = set(zip(people["role"], people["address"], strict=True))
    assert ("cc", "zoe@example.com") in roles and ("reply-to", "alice+shop@example.org") in roles
    assert "Zoë" in set(people["display_name"].dropna())

    hop = read_frame(tmp_path / "store", "hops").iloc[0]
    assert (hop["from_helo"], hop["from_ip"], hop["hop"]) == ("laptop", "192.0.2.7", 0)
    # the frames are plain Parquet that pandas reads without mxa
    direct = pd.read_parquet(tmp_path / "store" / "messages.parquet")
    assert len(direct) == 1


def test_grown_mbox_adds_only_new_messages(tmp_path):
    archive, store = tmp_path / "grow.mbox", tmp_path / "store"
    append_mbox(archive, *(numbered(n) for n in range(3)))
    first = ingest([archive], store, jobs=1)
    append_mbox(archive, *(numbered(n) for n in range(3, 5)))
    second = ingest([archive], store, jobs=1)
    assert (first.stored, second.stored, second.files_resumed) == (3, 2, 1)
    # the last message of the first run is read again, in case it was half written
    assert second.messages_read == 3 and second.duplicates == 1
    third = ingest([archive], store, jobs=1)
    assert (third.messages_read, third.files_unchanged) == (0, 1)
    assert len(read_frame(store, "messages")) == 5


def test_a_store_written_with_the_older_digest_still_resumes_a_grown_mbox(tmp_path):
    # Stores written before SHA-256 kept a bare BLAKE2b-128 hex digest of what was read
    archive, store = tmp_path / "grow.mbox", tmp_path / "store"
    append_mbox(archive, *(numbered(n) for n in range(3)))
    ingest([archive], store, jobs=1)
    manifest_path = store / "mxa-store.json"
    manifest = json.loads(manifest_path.read_text())
    (state,) = manifest["files"].values()
    assert state["digest"].startswith("sha256:")
    read = archive.read_bytes()[: state["end_offset"]]
    state["digest"] = hashlib.blake2b(read, digest_size=16).hexdigest()
    manifest_path.write_text(json.dumps(manifest))
    append_mbox(archive, numbered(3))
    second = ingest([archive], store, jobs=1)
    assert (second.files_resumed, second.files_changed, second.stored) == (1, 0, 1)
    (state,) = json.loads(manifest_path.read_text())["files"].values()
    assert state["digest"].startswith("blake2b-128:")  # goes on with the digest it had
    assert ingest([archive], store, jobs=1).files_unchanged == 1
    # a legacy digest that does not match is a rewritten file, as before
    manifest = json.loads(manifest_path.read_text())
    manifest["files"] = {key: {**value, "digest": "0" * 32, "size": 0}
                         for key, value in manifest["files"].items()}  # fmt: skip
    manifest_path.write_text(json.dumps(manifest))
    assert ingest([archive], store, jobs=1).files_changed == 1
    assert len(read_frame(store, "messages")) == 4


def test_a_rewritten_mbox_has_its_rows_replaced_not_doubled(tmp_path):
    archive, store = tmp_path / "box.mbox", tmp_path / "store"
    append_mbox(archive, numbered(1), numbered(2))
    ingest([archive], store, jobs=1)
    archive.write_bytes(b"")
    append_mbox(archive, numbered(0), numbered(1), numbered(2))  # changed at the start
    again = ingest([archive], store, jobs=1)
    assert (again.files_changed, again.rows_removed) == (1, 2)
    assert (again.messages_read, again.duplicates, again.stored) == (3, 0, 3)
    messages = read_frame(store, "messages")
    data = archive.read_bytes()
    assert len(messages) == 3
    assert all(data[int(o) :].startswith(b"From ") for o in messages["offset"])


def test_exact_duplicates_across_sources_are_counted_once(tmp_path):
    (tmp_path / "mail").mkdir()
    (tmp_path / "mail" / "copy.eml").write_bytes(numbered(7, newline="\r\n"))
    archive = tmp_path / "a.mbox"
    append_mbox(archive, numbered(7), numbered(8))
    result = ingest([archive, tmp_path / "mail"], tmp_path / "store", jobs=1)
    assert (result.parsed, result.duplicates, result.stored) == (3, 1, 2)


def test_damaged_messages_are_quarantined_and_the_rest_is_kept(tmp_path):
    folder = tmp_path / "mail"
    folder.mkdir()
    (folder / "good.eml").write_bytes(numbered(1))
    (folder / "empty.eml").write_bytes(b"")
    (folder / "no-headers.eml").write_bytes(b"\n\njust a body, no header at all\n")
    (folder / "binary.eml").write_bytes(bytes(range(256)) * 4)
    result = ingest([folder], tmp_path / "store", jobs=1)
    assert result.messages_read == 4 == result.parsed + result.quarantined
    assert result.parsed == 1
    reasons = dict(
        zip(
            *[read_frame(tmp_path / "store", "quarantine")[c] for c in ("offset", "reason")],
            strict=True,
        )
    )
    assert reasons[str(folder / "empty.eml")] == "empty message"
    assert reasons[str(folder / "no-headers.eml")] == "no header fields"


def test_truncated_gzip_keeps_what_was_read_and_says_where_it_stopped(tmp_path):
    archive = tmp_path / "cut.mbox.gz"
    bodies = (os.urandom(1500).hex() + "\n" for _ in range(200))
    payload = b"".join(SEPARATOR + numbered(n, body=b) + b"\n" for n, b in enumerate(bodies))
    archive.write_bytes(gzip.compress(payload)[:-50_000])
    result = ingest([archive], tmp_path / "store", jobs=1)
    assert result.parsed > 100
    assert result.quarantine[-1].reason.startswith("unreadable from here on")


def _content_length_message(n):
    """A Content-Length message whose body holds lines that look like separators."""
    fake = "\nFrom fake@example.org Tue Mar 14 10:00:00 2023\nSubject: not a message\n\n"
    body = "".join(f"paragraph {i} of a long body\n{fake}" for i in range(40))
    return numbered(n, extra=f"Content-Length: {len(body.encode())}", body=body)


def test_byte_ranges_store_what_one_stream_stores(tmp_path, monkeypatch):
    """Workers read a plain mbox in byte ranges, each from the first separator they see;
    joined, the ranges hold exactly the messages one pass over the file finds (here, over
    the same mbox gzipped), also where a range opens inside a Content-Length body."""
    monkeypatch.setattr(importlib.import_module("analyzer.ingest.mail_files"), "RANGE_BYTES", 2048)
    monkeypatch.setattr(importlib.import_module("analyzer.ingest.mail_files"), "RANGE_MIN", 2048)
    plain = tmp_path / "a.mbox"
    messages = [
        _content_length_message(n) if n % 7 == 3 else numbered(n, body="text\n" * (n % 50))
        for n in range(300)
    ]
    append_mbox(plain, *messages)
    packed = tmp_path / "b.mbox.gz"
    packed.write_bytes(gzip.compress(plain.read_bytes()))
    ranged = ingest([plain], tmp_path / "ranged", jobs=2)
    streamed = ingest([packed], tmp_path / "streamed", jobs=2)
    assert ranged.stored == streamed.stored == 300
    for frame in ("messages", "participants", "hops", "keys"):
        pd.testing.assert_frame_equal(
            read_frame(tmp_path / "ranged", frame).drop(columns="source", errors="ignore"),
            read_frame(tmp_path / "streamed", frame).drop(columns="source", errors="ignore"),
        )
    resume = ("digest", "end_offset", "resume_offset", "messages_read", "complete")
    states = [
        json.loads((tmp_path / store / "mxa-store.json").read_text())["files"]
        for store in ("ranged", "streamed")
    ]
    (ranged_state,), (streamed_state,) = (s.values() for s in states)
    assert {k: ranged_state[k] for k in resume} == {k: streamed_state[k] for k in resume}


def test_a_range_of_a_file_gone_says_so():
    from analyzer.ingest.workers import extract_range
    from analyzer.sources.mbox import MboxRange

    done = extract_range(MboxRange("gone.mbox", "/nonexistent/gone.mbox", 0, None, exact=True))
    assert (done.messages, done.first) == (0, None)
    assert done.error.startswith("FileNotFoundError")


def test_parallel_and_serial_runs_store_the_same_frames(tmp_path):
    archive = tmp_path / "a.mbox"
    append_mbox(archive, *(numbered(n) for n in range(1200)))
    ingest([archive], tmp_path / "serial", jobs=1)
    ingest([archive], tmp_path / "parallel", jobs=2)
    serial = read_frame(tmp_path / "serial", "messages")
    parallel = read_frame(tmp_path / "parallel", "messages")
    pd.testing.assert_frame_equal(serial, parallel)


def test_usage_errors(tmp_path):
    with pytest.raises(SourceError, match="no such file"):
        ingest([tmp_path / "missing.mbox"], tmp_path / "store")
    (tmp_path / "empty-folder").mkdir()
    with pytest.raises(SourceError, match="no mail found"):
        ingest([tmp_path / "empty-folder"], tmp_path / "store")
    occupied = tmp_path / "occupied"
    occupied.mkdir()
    (occupied / "thesis.tex").write_text("x")
    archive = tmp_path / "a.mbox"
    append_mbox(archive, numbered(1))
    with pytest.raises(StoreError, match="not an mxa store"):
        ingest([archive], occupied)


def test_message_half_written_at_the_last_run_is_not_lost(tmp_path):
    archive, store = tmp_path / "live.mbox", tmp_path / "store"
    append_mbox(archive, numbered(1))
    complete = SEPARATOR + numbered(2)
    with open(archive, "ab") as stream:
        stream.write(complete[:60])  # the MTA is still writing message 2
    ingest([archive], store, jobs=1)
    with open(archive, "ab") as stream:
        stream.write(complete[60:] + b"\n")
    append_mbox(archive, numbered(3))
    ingest([archive], store, jobs=1)
    subjects = set(read_frame(store, "messages")["subject"])
    assert {"message 1", "message 2", "message 3"} <= subjects


def test_grown_cr_only_mbox_resumes_as_cr_only(tmp_path):
    archive, store = tmp_path / "mac.mbox", tmp_path / "store"
    archive.write_bytes((SEPARATOR + numbered(1) + b"\n").replace(b"\n", b"\r"))
    ingest([archive], store, jobs=1)
    with open(archive, "ab") as stream:
        for n in (2, 3):
            stream.write((SEPARATOR + numbered(n) + b"\n").replace(b"\n", b"\r"))
    again = ingest([archive], store, jobs=1)
    assert again.quarantined == 0
    assert len(read_frame(store, "messages")) == 3


def test_unchanged_compressed_mbox_is_not_read_again(tmp_path):
    archive = tmp_path / "a.mbox.gz"
    archive.write_bytes(gzip.compress(b"".join(SEPARATOR + numbered(n) + b"\n" for n in range(3))))
    ingest([archive], tmp_path / "store", jobs=1)
    again = ingest([archive], tmp_path / "store", jobs=1)
    assert (again.messages_read, again.files_unchanged) == (0, 1)


def test_corrupt_xz_is_quarantined_not_a_traceback(tmp_path):
    import lzma

    archive = tmp_path / "a.mbox.xz"
    bodies = [os.urandom(3000).hex() + "\n" for _ in range(40)]
    data = lzma.compress(
        b"".join(SEPARATOR + numbered(n, body=b) + b"\n" for n, b in enumerate(bodies))
    )
    archive.write_bytes(data[: len(data) // 2] + b"garbage" * 20 + data[len(data) // 2 :])
    broken_head = tmp_path / "b.mbox.xz"
    broken_head.write_bytes(data[:12] + b"garbage" * 20)
    good = tmp_path / "c.mbox"
    append_mbox(good, numbered(9))
    result = ingest([archive, broken_head, good], tmp_path / "store", jobs=1)
    reasons = [q.reason for q in result.quarantine]
    assert any(r.startswith("unreadable from here on") for r in reasons)
    assert any(r.startswith("unreadable") and q.offset == str(broken_head)
               for q, r in zip(result.quarantine, reasons, strict=True))  # fmt: skip
    assert "message 9" in set(read_frame(tmp_path / "store", "messages")["subject"])


def test_a_quarantined_message_read_again_is_listed_and_counted_once(tmp_path):
    from analyzer.audit import analyze_store

    archive = tmp_path / "a.mbox"
    append_mbox(archive, numbered(1), b"\x00\x01\x02 no header at all\n")  # the last is read again
    first = ingest([archive], tmp_path / "store", jobs=1)
    assert first.quarantined == 1
    append_mbox(archive, numbered(2))
    again = ingest([archive], tmp_path / "store", jobs=1)
    assert (again.quarantined, again.quarantine_repeats, again.parsed) == (1, 1, 1)
    assert again.messages_read == again.parsed + again.quarantined
    findings = analyze_store(tmp_path / "store").findings["input"]
    assert findings["messages_quarantined"] == len(findings["quarantine"]) == 1
    assert findings["messages_read"] == findings["messages_parsed"] + 1 == 3
    assert findings["messages_parsed"] == findings["messages_stored"] == 2


def _stored(store):
    messages = read_frame(store, "messages")
    return sorted(zip(messages["subject"], messages["offset"].astype(str), strict=True))


def test_a_truncated_mbox_keeps_no_stale_rows_and_says_so(tmp_path):
    archive, store = tmp_path / "box.mbox", tmp_path / "store"
    append_mbox(archive, *(numbered(n) for n in range(5)))
    ingest([archive], store, jobs=1)
    kept = archive.read_bytes()
    cut = kept.index(b"\n" + SEPARATOR, kept.index(b"message 2")) + 1
    archive.write_bytes(kept[:cut])
    again = ingest([archive], store, jobs=1)
    assert (again.files_changed, again.rows_removed) == (1, 5)
    assert [s for s, _ in _stored(store)] == ["message 0", "message 1", "message 2"]


def test_a_rewrite_with_the_same_size_and_time_is_noticed(tmp_path):
    archive, store = tmp_path / "box.mbox", tmp_path / "store"
    append_mbox(archive, numbered(1), numbered(2))
    ingest([archive], store, jobs=1)
    stat = archive.stat()
    archive.write_bytes(archive.read_bytes().replace(b"message 1", b"message 7"))
    os.utime(archive, ns=(stat.st_atime_ns, stat.st_mtime_ns))
    assert archive.stat().st_size == stat.st_size
    again = ingest([archive], store, jobs=1)
    assert again.files_changed == 1 and again.files_unchanged == 0
    assert [s for s, _ in _stored(store)] == ["message 2", "message 7"]


def test_an_edit_in_the_middle_of_a_big_mbox_is_stored(tmp_path):
    archive, store = tmp_path / "big.mbox", tmp_path / "store"
    bodies = [os.urandom(2000).hex() + "\n" for _ in range(200)]  # 800 KB: far past any head
    append_mbox(archive, *(numbered(n, body=b) for n, b in enumerate(bodies)))
    ingest([archive], store, jobs=1)
    data = archive.read_bytes()
    archive.write_bytes(data.replace(b"Subject: message 100\n", b"Subject: message X00\n"))
    again = ingest([archive], store, jobs=1)
    assert again.files_changed == 1
    subjects = {s for s, _ in _stored(store)}
    assert "message X00" in subjects and "message 100" not in subjects and len(subjects) == 200


def test_a_message_that_grows_in_place_is_stored_once(tmp_path):
    archive, store = tmp_path / "live.mbox", tmp_path / "store"
    append_mbox(archive, numbered(1))
    last = SEPARATOR + numbered(2, body="first lines\n")
    with open(archive, "ab") as stream:
        stream.write(last)  # still being written: no newline after it yet
    ingest([archive], store, jobs=1)
    with open(archive, "ab") as stream:
        stream.write(b"more lines the MTA added\n")
    again = ingest([archive], store, jobs=1)
    assert again.files_resumed == 1
    assert [s for s, _ in _stored(store)] == ["message 1", "message 2"]


def test_a_header_block_cut_mid_way_and_completed_leaves_no_stale_row(tmp_path):
    archive, store = tmp_path / "live.mbox", tmp_path / "store"
    append_mbox(archive, numbered(1))
    complete = SEPARATOR + numbered(2, extra="X-Late: header\nCc: carl@example.com")
    with open(archive, "ab") as stream:
        stream.write(complete[: complete.index(b"Date:")])  # cut in the header block
    ingest([archive], store, jobs=1)
    with open(archive, "ab") as stream:
        stream.write(complete[complete.index(b"Date:") :] + b"\n")
    ingest([archive], store, jobs=1)
    messages = read_frame(store, "messages")
    assert len(messages) == 2 and set(messages["n_cc"]) == {0, 1}
    assert len(read_frame(store, "quarantine")) == 0


def test_files_gone_from_a_folder_lose_their_rows_and_are_reported(tmp_path):
    folder, store = tmp_path / "mail", tmp_path / "store"
    folder.mkdir()
    for n in range(4):
        (folder / f"{n}.eml").write_bytes(numbered(n))
    ingest([folder], store, jobs=1)
    (folder / "3.eml").unlink()
    (folder / "4.eml").write_bytes(numbered(4))
    again = ingest([folder], store, jobs=1)
    assert (again.files_removed, again.files_new, again.files_unchanged) == (1, 1, 3)
    assert [s for s, _ in _stored(store)] == [f"message {n}" for n in (0, 1, 2, 4)]
