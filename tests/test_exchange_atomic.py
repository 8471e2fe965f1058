import os
import stat

import pytest

from ppmatch.errors import InputError, IntegrityError
from ppmatch.exchange.atomic import atomic_write_bytes, atomic_writer
from ppmatch.exchange.jobs import ChunkedJob


def test_atomic_write_replaces_whole_file_with_mode(tmp_path):
    target = tmp_path / "out.bin"
    target.write_bytes(b"old content")
    atomic_write_bytes(target, b"new", mode=0o600)
    assert target.read_bytes() == b"new"
    assert stat.S_IMODE(target.stat().st_mode) == 0o600
    assert [p.name for p in tmp_path.iterdir()] == ["out.bin"]


def test_failed_write_leaves_old_file_and_no_temp(tmp_path):
    target = tmp_path / "out.bin"
    target.write_bytes(b"old content")
    with pytest.raises(RuntimeError), atomic_writer(target) as stream:
        stream.write(b"half of the new")
        raise RuntimeError("killed")
    assert target.read_bytes() == b"old content"
    assert os.listdir(tmp_path) == ["out.bin"]


def test_missing_directory_is_input_error(tmp_path):
    with pytest.raises(InputError, match="does not exist"):
        atomic_write_bytes(tmp_path / "nope" / "x", b"")


def test_job_resumes_completed_chunks_and_keeps_seed(tmp_path):
    work = tmp_path / "job"
    job = ChunkedJob(work, job_id="abc", total_chunks=3, resume=False)
    job.save_chunk(0, b"zero")
    seed = job.seed
    with pytest.raises(InputError, match="--resume"):
        ChunkedJob(work, job_id="abc", total_chunks=3, resume=False)
    with pytest.raises(InputError, match="other inputs"):
        ChunkedJob(work, job_id="other", total_chunks=3, resume=True)
    resumed = ChunkedJob(work, job_id="abc", total_chunks=3, resume=True)
    assert resumed.seed == seed
    assert resumed.completed == [0]
    assert resumed.load_chunk(0) == b"zero"


def test_damaged_chunk_counts_as_not_done(tmp_path):
    job = ChunkedJob(tmp_path / "job", job_id="abc", total_chunks=2, resume=False)
    job.save_chunk(1, b"payload")
    (tmp_path / "job" / "chunk-000001.bin").write_bytes(b"paylo")  # torn by a crash
    assert not job.is_done(1)
    with pytest.raises(IntegrityError):
        job.load_chunk(1)
    job.finish()
    assert not (tmp_path / "job").exists()


def test_job_seed_is_private_and_a_lost_seed_refuses_resume(tmp_path):
    work = tmp_path / "job"
    job = ChunkedJob(work, job_id="abc", total_chunks=2, resume=False)
    assert len(job.seed) == 32
    assert os.stat(work / "seed").st_mode & 0o777 == 0o600
    assert job.seed.hex() not in (work / "manifest.json").read_text()
    (work / "seed").write_bytes(job.seed[:31])
    with pytest.raises(IntegrityError, match="seed is damaged"):
        ChunkedJob(work, job_id="abc", total_chunks=2, resume=True)
    (work / "seed").unlink()
    with pytest.raises(IntegrityError, match="seed is unreadable"):
        ChunkedJob(work, job_id="abc", total_chunks=2, resume=True)
