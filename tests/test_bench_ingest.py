"""The ingest benchmark at a tiny size: it runs, its re-ingest writes nothing, and its dry
ingest (the ceiling's "everything else") neither embeds nor writes. No timing is asserted:
figures are for reading, not for failing on a slow machine."""

import json

import pytest

from evals import bench_ingest

pytestmark = pytest.mark.integration


def test_bench_ingest_runs_and_reports_every_part(tmp_path, capsys):
    out = tmp_path / "bench.json"
    assert bench_ingest.main(["--n-articles", "4", "--n-exchanges", "30", "--repeats", "1",
                              "--out", str(out)]) == 0
    printed = capsys.readouterr().out
    assert "The ceiling on this machine" in printed
    summary = json.loads(out.read_text(encoding="utf-8"))
    assert set(summary["parts"]) == {"articles (chunks)", "exchanges", "total"}
    for part in summary["parts"].values():
        assert part["ratio"] > 0 and 0 < part["ceiling"]["ratio"] <= 1
        assert 0 < part["ceiling"]["serial_ratio"] <= part["ceiling"]["ratio"]
        assert 0 <= part["python_progress_during_chroma"] < 5  # a share, measured
        assert part["ingest"]["embedded_texts"] == part["texts"]  # what raw embedded
        assert part["reingest"]["added"] == 0 and part["reingest"]["embedded_texts"] == 0
        child = part["child_process"]  # the same ingest, the embedder in a child process
        assert child["ratio"] > 0 and child["ingest"]["added"] == part["ingest"]["added"]
        assert child["ingest"]["cpu_seconds"] > 0
    assert summary["child_process_start_seconds"] > 0
    assert summary["library_mining"]["units"] > 0 and summary["library_mining"]["replies"] > 0
    dry = summary["dry_runs"]
    assert dry["exchanges"]["added"] == summary["exchanges"]
    assert dry["exchanges"]["upsert_calls"] > 0 and dry["total"]["stored"] == 0  # stubbed
    # the patches are undone: the real embedding and upsert are back
    from replyassist.embed_worker import submit_embedding

    assert bench_ingest.kb_sync.submit_embedding is submit_embedding


def test_python_progress_tells_a_gil_holder_from_a_sleeper():
    import time

    def hold_gil() -> None:  # pure Python: the spinner gets about half of the GIL
        end = time.perf_counter() + 0.3
        while time.perf_counter() < end:
            pass

    sleeping = bench_ingest.python_progress_during(lambda: time.sleep(0.3))
    busy = bench_ingest.python_progress_during(hold_gil)
    assert sleeping > 0.5  # a sleeper releases the GIL
    assert busy < sleeping  # a Python loop competes for it
