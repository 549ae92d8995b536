"""Runs inside a berth task (test_task_endpoints.py): reads the task metadata endpoint v4 and,
when the task has a role, takes credentials from the container credentials endpoint through
boto3's default chain and calls berth's API with them. Writes what it saw as JSON to $OUT.
Env: OUT, BUCKET (optional: an S3 bucket to write to), HOLD (seconds to stay running after),
SDK=0 (only report the credentials endpoint, for the test to use).
"""
import json
import os
import time
import urllib.error
import urllib.request


def get(url, headers=None):
    req = urllib.request.Request(url, headers=headers or {})
    try:
        with urllib.request.urlopen(req, timeout=5) as r:
            return [r.status, json.loads(r.read())]
    except urllib.error.HTTPError as e:
        body = e.read()
        return [e.code, json.loads(body) if body else None]


def main():
    out = {"env": {k: v for k, v in os.environ.items() if k.startswith(("AWS_", "ECS_"))}}
    uri = os.environ["ECS_CONTAINER_METADATA_URI_V4"]
    for name, suffix in [("container", ""), ("task", "/task"), ("stats", "/stats"),
                         ("task_stats", "/task/stats"), ("tags", "/taskWithTags")]:
        out[name] = get(uri + suffix)
    full = os.environ.get("AWS_CONTAINER_CREDENTIALS_FULL_URI")
    if full and os.environ.get("SDK") != "0":
        out["forged_fetch"] = get(full, {"Authorization": "forged"})
        import boto3
        from botocore.exceptions import ClientError
        endpoint = os.environ["AWS_ENDPOINT_URL"]  # botocore 1.29 does not read it itself
        session = boto3.session.Session()
        creds = session.get_credentials()
        out["provider"] = creds.method
        frozen = creds.get_frozen_credentials()
        out["creds"] = {"key": frozen.access_key, "secret": frozen.secret_key,
                        "token": frozen.token}
        out["clusters"] = session.client("ecs", endpoint_url=endpoint).list_clusters()["clusterArns"]
        if os.environ.get("BUCKET"):
            session.client("s3", endpoint_url=endpoint).put_object(
                Bucket=os.environ["BUCKET"], Key="from-task", Body=b"written by the task role")
        forged = boto3.client("ecs", endpoint_url=endpoint, aws_access_key_id=frozen.access_key,
                              aws_secret_access_key=frozen.secret_key,
                              aws_session_token="forged-" + frozen.token[:20])
        try:
            forged.list_clusters()
            out["forged_token"] = "accepted"
        except ClientError as e:
            out["forged_token"] = e.response["Error"]["Code"]
    with open(os.environ["OUT"] + ".tmp", "w") as f:
        json.dump(out, f)
    os.rename(os.environ["OUT"] + ".tmp", os.environ["OUT"])
    time.sleep(float(os.environ.get("HOLD", "0")))


if __name__ == "__main__":
    main()
