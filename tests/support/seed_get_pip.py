"""Seed ansible-test's get-pip cache so `ansible-test sanity --venv` works without reaching
ci-files.testing.ansible.com (unreachable here). Run it with the Python of the ansible-core under test: each
ansible-core minor bootstraps its own pip version.

ansible-test runs ~/.ansible/test/cache/get_pip_<ver>.py with pip-install style arguments. The stand-in written
here installs pip from a pip wheel downloaded from the package index into .cache/pip-wheel. An existing cache file
(for example a real get-pip script) is left alone, unless it is a stand-in whose wheel is gone (written from another
checkout since deleted): that one is written again."""

import glob
import os
import re
import subprocess
import sys


def ansible_test_pip_version(default="24.2"):
    """The pip version the ansible-test of this Python's ansible-core bootstraps (each minor pins its own)."""
    try:
        import ansible_test
    except ImportError:
        return default
    source = os.path.join(os.path.dirname(ansible_test.__file__), "_internal", "python_requirements.py")
    with open(source, encoding="utf-8") as fh:
        match = re.search(r"\bpip='([0-9.]+)'", fh.read())
    return match.group(1) if match else default


PIP_VERSION = ansible_test_pip_version()
ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
WHEEL_DIR = os.path.join(ROOT, ".cache", "pip-wheel")
CACHE = os.path.expanduser("~/.ansible/test/cache/get_pip_%s.py" % PIP_VERSION.replace(".", "_"))

STAND_IN = '''"""Offline stand-in for get-pip-{version}.py, written by dataiku_gitops.dss tests/support/seed_get_pip.py."""
import os
import subprocess
import sys

WHEEL_DIR = {wheel_dir!r}
WHEEL = {wheel!r}
args = [a for a in sys.argv[1:] if a not in ("--no-setuptools", "--no-wheel")]
sys.exit(subprocess.call([sys.executable, os.path.join(WHEEL, "pip"), "install", "--find-links", WHEEL_DIR] + args))
'''


def usable_cache():
    """An existing cache file that still works: a real get-pip script, or a stand-in whose wheel exists."""
    if not os.path.exists(CACHE):
        return False
    with open(CACHE, encoding="utf-8") as fh:
        match = re.search(r"^WHEEL = (.+)$", fh.read(), re.M)
    return match is None or os.path.exists(match.group(1).strip("'\""))


def main():
    if usable_cache():
        print("ansible-test get-pip cache present: %s" % CACHE)
        return 0
    wheels = glob.glob(os.path.join(WHEEL_DIR, "pip-%s-*.whl" % PIP_VERSION))
    if not wheels:
        subprocess.check_call([sys.executable, "-m", "pip", "download", "--quiet", "--no-deps", "--only-binary=:all:",
                               "-d", WHEEL_DIR, "pip==%s" % PIP_VERSION])
        wheels = glob.glob(os.path.join(WHEEL_DIR, "pip-%s-*.whl" % PIP_VERSION))
    os.makedirs(os.path.dirname(CACHE), exist_ok=True)
    with open(CACHE, "w", encoding="utf-8") as out:
        out.write(STAND_IN.format(version=PIP_VERSION, wheel_dir=WHEEL_DIR, wheel=wheels[0]))
    print("seeded ansible-test get-pip cache: %s -> %s" % (CACHE, wheels[0]))
    return 0


if __name__ == "__main__":
    sys.exit(main())
