"""Independent peers (programs and Python modules from Debian) that harness tests need.

A missing peer skips the test on a developer's machine, with the Debian package to
install; under CI=true it fails the test instead: a skipped peer test is how a missing
install step stays invisible (ci/deps names every package)."""
import importlib
import os
import shutil

import pytest


def in_ci():
    return os.environ.get("CI") == "true"


def missing(what, package, module_level=False):
    """Skip (locally) or fail (CI=true) because WHAT, from Debian's PACKAGE, is absent."""
    msg = f"{what} is missing: install the Debian package {package} (listed in ci/deps)"
    if in_ci():
        pytest.fail(f"CI=true: {msg}", pytrace=False)
    pytest.skip(msg, allow_module_level=module_level)


def program(name, package, module_level=False):
    """The path of program NAME on PATH."""
    path = shutil.which(name)
    if path is None:
        missing(f"program {name}", package, module_level)
    return path


def module(name, package, module_level=False):
    """Import Python module NAME (all of it: a module whose own imports fail is missing)."""
    try:
        return importlib.import_module(name)
    except ImportError as e:
        missing(f"Python module {name} ({e})", package, module_level)
