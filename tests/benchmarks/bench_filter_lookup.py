"""What finding one of this collection's filters costs a worker process, against a built-in filter in the same run.

ansible-core looks a collection filter up by loading every Python file of the collection's plugins/filter folder,
and a playbook's worker process does it for each collection filter its task templates first: the cost grows with the
number of filter files. This times the plugin loader's lookup of each of the collection's filters (by its fully
qualified name, warm: every file already imported, as in a worker forked from a controller that used them) and of
``ansible.builtin.to_json``, the baseline:

    .venv/bin/python tests/benchmarks/bench_filter_lookup.py [--collections PATH] [--rounds N] [--json FILE]

``--collections`` names another collections root (``.../ansible_collections/dataiku_gitops/dss`` under it), e.g. an
older checkout of this repository, to compare with. Results: tests/benchmarks/README.md.
"""

import argparse
import json
import os
import subprocess
import sys

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
# Runs in a fresh interpreter: the plugin loader's collection finder is process-wide.
PROBE = """
import json, os, sys, time
from ansible.plugins.loader import filter_loader, init_plugin_loader
init_plugin_loader([sys.argv[1]])
folder = os.path.join(sys.argv[1], "ansible_collections", "dataiku_gitops", "dss", "plugins", "filter")
names = sorted({name.rsplit(".", 1)[0] for name in os.listdir(folder) if name.endswith(".yml")}
               | {"drift_report", "promotion_plan"})
rounds = int(sys.argv[2])


def timed(fq_names):
    for name in fq_names:
        assert filter_loader.get(name) is not None, name
    start = time.process_time()
    for _ in range(rounds):
        for name in fq_names:
            filter_loader.get(name)
    return (time.process_time() - start) / (rounds * len(fq_names)) * 1000


print(json.dumps({"filters": len(names), "python_files": sum(n.endswith(".py") for n in os.listdir(folder)),
                  "collection_ms": timed(["dataiku_gitops.dss." + name for name in names]),
                  "builtin_ms": timed(["ansible.builtin.to_json"])}))
"""


def measure(collections, rounds):
    out = subprocess.run([sys.executable, "-c", PROBE, collections, str(rounds)], capture_output=True, text=True,
                         check=True, cwd="/").stdout
    return json.loads(out)


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n", 1)[0])
    parser.add_argument("--collections", default=os.path.join(ROOT, ".build", "collections"),
                        help="a collections root (default: this checkout's link, made by make venv)")
    parser.add_argument("--rounds", type=int, default=50, help="lookups of each filter (default 50)")
    parser.add_argument("--json", help="also write the figures here")
    args = parser.parse_args(argv)
    if not os.path.isdir(os.path.join(args.collections, "ansible_collections", "dataiku_gitops", "dss")):
        parser.error("%s holds no ansible_collections/dataiku_gitops/dss (run make venv first)" % args.collections)
    result = measure(os.path.abspath(args.collections), args.rounds)
    result["ratio"] = result["collection_ms"] / result["builtin_ms"]
    print("%d filters in %d Python file(s): %.3f ms of CPU a lookup; ansible.builtin.to_json %.4f ms (ratio %.0f)"
          % (result["filters"], result["python_files"], result["collection_ms"], result["builtin_ms"],
             result["ratio"]))
    if args.json:
        with open(args.json, "w", encoding="utf-8") as out:
            json.dump(result, out, indent=1)
    return 0


if __name__ == "__main__":
    sys.exit(main())
