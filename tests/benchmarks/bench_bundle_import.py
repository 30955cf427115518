"""Peak memory and time of importing a large bundle: dataiku_bundle (streamed) vs dataikuapi's import_bundle_from_stream.

    python tests/benchmarks/bench_bundle_import.py --size-mib 1024

Starts a design and an automation emulator, exports a small real bundle, appends a large incompressible stored
entry to it (still a valid bundle: same manifest, valid zip), then imports it into an existing automation project
(a) with the module file run directly as a subprocess (args JSON file, as Ansible would run it) and (b) with the
plain client in its own subprocess. Peak RSS comes from os.wait4() on each child, so each figure is that process
alone. Exits 1 if the module's peak RSS exceeds --limit-mib (default 100) or an import fails.
"""

import argparse
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
import zipfile

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
if ROOT not in sys.path:
    sys.path.insert(0, ROOT)

from tests.support.collection import ensure_collection_link  # noqa: E402  pylint: disable=wrong-import-position
from tests.support.emulator import EmulatorNode  # noqa: E402  pylint: disable=wrong-import-position

KEY = "BENCH"
MODULE = os.path.join(ROOT, "plugins", "modules", "dataiku_bundle.py")
MIB = 1024 * 1024

CLIENT_SCRIPT = """
import sys, dataikuapi
url, key, project, path = sys.argv[1:5]
with open(path, "rb") as fp:
    dataikuapi.DSSClient(url, key).get_project(project).import_bundle_from_stream(fp)
"""


def build_archive(small_path, big_path, size_mib):
    """Copy the small bundle and append one stored (uncompressed) entry of random bytes up to size_mib."""
    shutil.copyfile(small_path, big_path)
    padding = max(0, size_mib * MIB - os.path.getsize(small_path) - 1024)
    with zipfile.ZipFile(big_path, "a") as archive:
        info = zipfile.ZipInfo("bench/padding.bin", date_time=(2020, 1, 1, 0, 0, 0))
        info.compress_type = zipfile.ZIP_STORED
        with archive.open(info, "w", force_zip64=True) as out:
            left = padding
            while left > 0:
                chunk = os.urandom(min(MIB, left))
                out.write(chunk)
                left -= len(chunk)
    return os.path.getsize(big_path)


def measure(cmd, env=None):
    """Run cmd; return (returncode, peak RSS MiB of that process, wall seconds, output). The child's ru_maxrss starts
    from this process's size at the fork (Linux keeps it across exec): run the benchmark as a small process of its
    own, never from inside a large one."""
    start = time.monotonic()
    with tempfile.TemporaryFile() as out:
        proc = subprocess.Popen(cmd, stdout=out, stderr=subprocess.STDOUT, env=env)  # pylint: disable=consider-using-with
        _pid, status, usage = os.wait4(proc.pid, 0)
        proc.returncode = os.waitstatus_to_exitcode(status)
        wall = time.monotonic() - start
        out.seek(0)
        output = out.read().decode("utf-8", "replace")
    return proc.returncode, usage.ru_maxrss / 1024.0, wall, output  # ru_maxrss is in KiB on Linux


def run_module(workdir, auto, archive):
    args = {"ANSIBLE_MODULE_ARGS": {"url": auto.url, "api_key": auto.api_key, "project_key": KEY,
                                    "bundle_id": "big", "state": "imported", "src": archive}}
    args_path = os.path.join(workdir, "args.json")
    with open(args_path, "w", encoding="utf-8") as fh:
        json.dump(args, fh)
    env = dict(os.environ, PYTHONPATH=ensure_collection_link())
    return measure([sys.executable, MODULE, args_path], env)


def run_client(auto, archive):
    return measure([sys.executable, "-c", CLIENT_SCRIPT, auto.url, auto.api_key, KEY, archive])


def benchmark(size_mib, workdir):
    with EmulatorNode("design") as design, EmulatorNode("automation") as auto:
        project = design.client().create_project(KEY, "Bench", "admin")
        project.create_dataset("customers", "Filesystem", params={"connection": "filesystem_managed", "path": "c"})
        project.export_bundle("seed")
        project.export_bundle("big")
        seed, small = os.path.join(workdir, "seed.zip"), os.path.join(workdir, "small.zip")
        project.download_exported_bundle_archive_to_file("seed", seed)
        project.download_exported_bundle_archive_to_file("big", small)
        with open(seed, "rb") as fp:
            auto.client().create_project_from_bundle_archive(fp)
        archive = os.path.join(workdir, "big.zip")
        size = build_archive(small, archive, size_mib)
        target = auto.client().get_project(KEY)

        rows = []
        for label, runner in (("dataiku_bundle (streamed)", lambda: run_module(workdir, auto, archive)),
                              ("dataikuapi import_bundle_from_stream", lambda: run_client(auto, archive))):
            rc, rss, wall, output = runner()
            ids = [b["bundleId"] for b in target.list_imported_bundles()["bundles"]]
            ok = rc == 0 and "big" in ids
            rows.append(dict(name=label, rc=rc, ok=ok, peak_rss_mib=round(rss, 1), wall_s=round(wall, 2),
                             mib_per_s=round(size / MIB / wall, 1) if wall else None, output=output[-2000:]))
            if "big" in ids:
                target.delete_imported_bundle("big")  # the next run imports the same bundle id again
        return size, rows


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n", 1)[0])
    parser.add_argument("--size-mib", type=int, default=1024, help="archive size in MiB (default 1024)")
    parser.add_argument("--limit-mib", type=float, default=100.0, help="max peak RSS of the module (default 100)")
    parser.add_argument("--json", help="also write the results to this JSON file")
    parser.add_argument("--workdir", help="where to build the archive (default: a temp dir, removed afterwards)")
    opts = parser.parse_args(argv)

    workdir = opts.workdir or tempfile.mkdtemp(prefix="bench-bundle-")
    try:
        size, rows = benchmark(opts.size_mib, workdir)
    finally:
        if not opts.workdir:
            shutil.rmtree(workdir, ignore_errors=True)

    module, client = rows
    print("bundle archive: %.1f MiB (%d bytes)" % (size / MIB, size))
    print("%-38s %14s %10s %10s %6s" % ("importer", "peak RSS MiB", "wall s", "MiB/s", "ok"))
    for row in rows:
        ok = "yes" if row["ok"] else "NO"
        print("%-38s %14.1f %10.2f %10s %6s" % (row["name"], row["peak_rss_mib"], row["wall_s"], row["mib_per_s"], ok))
    ratio = client["peak_rss_mib"] / module["peak_rss_mib"] if module["peak_rss_mib"] else float("inf")
    print("peak RSS ratio client/module: %.1fx; module limit %.0f MiB" % (ratio, opts.limit_mib))
    if opts.json:
        with open(opts.json, "w", encoding="utf-8") as fh:
            json.dump({"size_bytes": size, "rows": rows, "ratio": ratio, "limit_mib": opts.limit_mib}, fh, indent=2)

    failed = False
    for row in rows:
        if not row["ok"]:
            failed = True
            print("FAILED: %s (rc=%s)\n%s" % (row["name"], row["rc"], row["output"]), file=sys.stderr)
    if module["peak_rss_mib"] > opts.limit_mib:
        failed = True
        print("FAILED: module peak RSS %.1f MiB exceeds %.0f MiB" % (module["peak_rss_mib"], opts.limit_mib),
              file=sys.stderr)
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
