"""A ~200 MiB bundle upload keeps the emulator's memory flat: the multipart body is streamed to disk, with a
Content-Length (the official client) and chunked (Transfer-Encoding: chunked, as node-to-node streaming sends it).
Slow-ish (a few seconds): marked `slow`."""

import os
import threading
import time
import zipfile

import psutil
import pytest
import requests

from tests.emulator.bundles_helpers import seed_design_project

SIZE = 200 * 1024 * 1024
MAX_GROWTH = 50 * 1024 * 1024
BOUNDARY = "emulator-large-upload-boundary"


class PeakRss:
    """Samples a process's RSS in a thread; on Linux VmHWM (kernel-tracked peak) backs up the sampling."""

    def __init__(self, pid):
        self.proc = psutil.Process(pid)
        self.base = self.proc.memory_info().rss
        self.peak = self.base
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def _run(self):
        while not self._stop.is_set():
            self.peak = max(self.peak, self.proc.memory_info().rss)
            time.sleep(0.005)

    def __enter__(self):
        self._thread.start()
        return self

    def __exit__(self, *exc):
        self._stop.set()
        self._thread.join()
        status = "/proc/%d/status" % self.proc.pid
        if os.path.exists(status):
            with open(status, encoding="ascii") as fp:
                for line in fp:
                    if line.startswith("VmHWM:"):
                        self.peak = max(self.peak, int(line.split()[1]) * 1024)

    @property
    def growth(self):
        return self.peak - self.base


def _big_archive(design, tmp_path):
    """A real exported bundle plus a ~200 MiB incompressible entry (as bundled dataset data would be)."""
    project = seed_design_project(design.client(), "BIGUP")
    project.export_bundle("big")
    small = tmp_path / "small.zip"
    project.download_exported_bundle_archive_to_file("big", str(small))
    path = tmp_path / "big.zip"
    block = os.urandom(1024 * 1024)
    with zipfile.ZipFile(small) as src, zipfile.ZipFile(path, "w") as out:
        for name in src.namelist():
            out.writestr(name, src.read(name))
        with out.open(zipfile.ZipInfo("datasets/customers/data.bin"), "w", force_zip64=True) as data:
            for _block in range(SIZE // len(block)):
                data.write(block)
    return path


def _chunked_body(path):
    yield ('--%s\r\nContent-Disposition: form-data; name="file"; filename="file"\r\n\r\n' % BOUNDARY).encode()
    with open(path, "rb") as fp:
        yield from iter(lambda: fp.read(1024 * 1024), b"")
    yield ("\r\n--%s--\r\n" % BOUNDARY).encode()


@pytest.mark.slow
def test_large_uploads_stream_to_disk(design, automation, tmp_path):
    path = _big_archive(design, tmp_path)
    size = path.stat().st_size
    aclient = automation.client()
    received_before = automation.stats()["bytes_received"]

    with PeakRss(automation.proc.pid) as rss, open(path, "rb") as fp:
        assert aclient.create_project_from_bundle_archive(fp) == {"projectKey": "BIGUP", "bundleId": "big"}
    assert rss.growth < MAX_GROWTH, "RSS grew by %d MiB for a %d MiB upload" % (rss.growth >> 20, size >> 20)
    assert automation.stats()["bytes_received"] - received_before >= size

    aclient.create_project("BIGUP_CHUNKED", "chunked", "admin")
    with PeakRss(automation.proc.pid) as rss:
        resp = requests.post(automation.url + "/dip/publicapi/projects/BIGUP_CHUNKED/bundles/imported/actions/"
                             "importFromStream", data=_chunked_body(path), auth=(automation.api_key, ""),
                             headers={"Content-Type": "multipart/form-data; boundary=%s" % BOUNDARY}, timeout=120)
    assert resp.status_code == 200, resp.text
    assert resp.request.headers.get("Transfer-Encoding") == "chunked"
    assert rss.growth < MAX_GROWTH, "RSS grew by %d MiB for a chunked upload" % (rss.growth >> 20)

    listed = aclient.get_project("BIGUP_CHUNKED").list_imported_bundles()["bundles"]
    assert [b["bundleId"] for b in listed] == ["big"]
    blobs = os.path.join(automation.data_dir, "blobs")
    sizes = [os.path.getsize(os.path.join(blobs, name)) for name in os.listdir(blobs)]
    assert sizes.count(size) == 1  # both imports share one content-addressed blob, no temp file left
    assert not [name for name in os.listdir(blobs) if name.startswith(".")]
