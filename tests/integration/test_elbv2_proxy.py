"""The listener data-path tests of test_elbv2.py (health, round-robin, draining, 503, unhealthy
targets) again with `berth serve --lb-forwarding proxy`: every connection through berth's
user-space proxy, which is also what a daemon without root uses."""
import unittest

import test_elbv2


def setUpModule():
    test_elbv2.EXTRA_ARGS = ("--lb-forwarding", "proxy")
    test_elbv2.setUpModule()


def tearDownModule():
    test_elbv2.tearDownModule()


class ProxyForwardingTest(test_elbv2.Elbv2Test):
    # API-only tests need not run twice.
    test_3_errors = None
    test_4_tags_paging_and_attributes = None
    test_9_config_survives_restart = None


if __name__ == "__main__":
    unittest.main()
