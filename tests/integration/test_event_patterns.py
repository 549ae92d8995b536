"""The 155 AWS-recorded EventBridge pattern cases (../shared/conformance/eventbridge-patterns,
read from there, never copied) through a real `berth serve`: every case with the AWS CLI v2's
`aws events test-event-pattern` (matches, non-matches, InvalidEventPatternException), and every
invalid one again with boto3 to compare AWS's exact message."""
import concurrent.futures
import json
import os
import re
import unittest

import botocore.exceptions

import harness

D = None
CASES = os.path.join(os.path.dirname(__file__), "..", "..", "..", "shared", "conformance",
                     "eventbridge-patterns")


def setUpModule():
    global D
    D = harness.Daemon().start()


def tearDownModule():
    D.cleanup()


def snapshot_messages():
    with open(os.path.join(CASES, "test_events_patterns.snapshot.json")) as f:
        snap = json.load(f)
    out = {}
    for key, v in snap.items():
        m = re.search(r"\[(.+)\]$", key)
        content = v.get("recorded-content", {})
        if m and m.group(1) in content:
            out[m.group(1)] = content[m.group(1)]["exception_message"]["Error"]
    return out


def redact(message):
    """The snapshot replaced partition and region in messages (columns counted on the original)."""
    return message.replace("arn:aws:", "arn:<partition>:").replace("us-east-1", "<region>")


class EventPatternConformanceTest(unittest.TestCase):
    def aws(self, *args, check=True):
        return D.aws("events", *args, check=check)

    def test_1_all_conformance_cases_through_test_event_pattern(self):
        names = sorted(f[:-5] for f in os.listdir(os.path.join(CASES, "cases"))
                       if f.endswith(".json") and not f.startswith("complex_multi_key_event"))
        self.assertEqual(len(names), 155)
        messages = snapshot_messages()

        def check(name):
            with open(os.path.join(CASES, "cases", name + ".json")) as f:
                case = json.load(f)
            rc, out, err = self.aws("test-event-pattern", "--event-pattern",
                                    json.dumps(case["EventPattern"]), "--event",
                                    json.dumps(case["Event"]), check=False)
            if name.endswith("_EXC"):
                ok = rc != 0 and "(InvalidEventPatternException)" in err and \
                    messages[name]["Message"].split("\n")[0] in redact(err)
                return name, ok, err
            return name, rc == 0 and out["Result"] == (not name.endswith("_NEG")), (out, err)

        with concurrent.futures.ThreadPoolExecutor(4) as pool:
            results = list(pool.map(check, names))
        failed = [(n, detail) for n, ok, detail in results if not ok]
        self.assertEqual(failed, [])
        # boto3 sees AWS's exact messages (the CLI prints only the first line of some).
        for name in names:
            if not name.endswith("_EXC"):
                continue
            with open(os.path.join(CASES, "cases", name + ".json")) as f:
                case = json.load(f)
            with self.assertRaises(botocore.exceptions.ClientError) as e:
                D.boto("events").test_event_pattern(EventPattern=json.dumps(case["EventPattern"]),
                                           Event=json.dumps(case["Event"]))
            self.assertEqual(e.exception.response["Error"]["Code"], "InvalidEventPatternException")
            self.assertEqual(redact(e.exception.response["Error"]["Message"]),
                             messages[name]["MessageRaw"], name)



if __name__ == "__main__":
    unittest.main()
