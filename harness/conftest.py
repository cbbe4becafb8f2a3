"""Fixtures for harness checks written as Python tests (harness/test_*.py): the
cross-checks that need independent peers (pymodbus, scapy, tshark) alongside the
scenario files. The scenario collection itself is harness/scenario_plugin.py."""
import pytest


@pytest.fixture
def hil_setup(request):
    """Paths of the bench program, the gateway command and the build directory."""
    return request.config._hil
