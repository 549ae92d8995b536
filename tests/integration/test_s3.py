"""S3: the AWS CLI v2 (`aws s3 mb/cp/ls/sync/rm/presign`, `aws s3api`), boto3 (checksums,
paginators, multipart) and raw HTTP against a real `berth serve`: small and 20 MB objects
compared byte for byte, listing options, copies, tags, multipart rules, conditional and range
GETs, aws-chunked bodies (signed chunks, unsigned with a checksum trailer), `Expect:
100-continue`, virtual-host addressing, S3's XML errors for unsigned, wrongly signed and expired
requests, and a kill -9 during an upload (the old object or the new one, never a torn one).
"""
import base64
import datetime
import hashlib
import hmac
import http.client
import os
import re
import shutil
import signal
import socket
import subprocess
import tempfile
import time
import unittest
import urllib.parse
import zlib

import botocore.config
import botocore.exceptions

import harness

REGION = harness.REGION


def sign_s3(creds, method, host, path, query="", headers=None, payload_hash="UNSIGNED-PAYLOAD",
            amz_date=None, secret=None):
    """SigV4 for S3 (path already URI-encoded once). Returns (headers, seed signature)."""
    amz_date = amz_date or datetime.datetime.utcnow().strftime("%Y%m%dT%H%M%SZ")
    date8 = amz_date[:8]
    hdrs = {"host": host, "x-amz-date": amz_date, "x-amz-content-sha256": payload_hash}
    for k, v in (headers or {}).items():
        hdrs[k.lower()] = str(v)
    names = sorted(hdrs)
    canonical_headers = "".join("%s:%s\n" % (n, hdrs[n].strip()) for n in names)
    signed = ";".join(names)
    qs = "&".join("%s=%s" % (urllib.parse.quote(k, safe="-_.~"), urllib.parse.quote(v, safe="-_.~"))
                  for k, v in sorted(urllib.parse.parse_qsl(query, keep_blank_values=True)))
    creq = "\n".join([method, path, qs, canonical_headers, signed, payload_hash])
    scope = "%s/%s/s3/aws4_request" % (date8, REGION)
    sts = "\n".join(["AWS4-HMAC-SHA256", amz_date, scope, hashlib.sha256(creq.encode()).hexdigest()])
    key = ("AWS4" + (secret or creds["aws_secret_access_key"])).encode()
    for part in (date8, REGION, "s3", "aws4_request"):
        key = hmac.new(key, part.encode(), hashlib.sha256).digest()
    sig = hmac.new(key, sts.encode(), hashlib.sha256).hexdigest()
    out = {k: v for k, v in hdrs.items()}
    out["Authorization"] = "AWS4-HMAC-SHA256 Credential=%s/%s, SignedHeaders=%s, Signature=%s" % (
        creds["aws_access_key_id"], scope, signed, sig)
    return out, sig, key, amz_date, scope


def chunk_sig(key, amz_date, scope, prev, data):
    sts = "\n".join(["AWS4-HMAC-SHA256-PAYLOAD", amz_date, scope, prev,
                     hashlib.sha256(b"").hexdigest(), hashlib.sha256(data).hexdigest()])
    return hmac.new(key, sts.encode(), hashlib.sha256).hexdigest()


def xml_code(body):
    m = re.search(rb"<Code>([^<]*)</Code>", body or b"")
    return m.group(1).decode() if m else None


class S3Test(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.D = harness.Daemon().start()
        cls.tmp = tempfile.mkdtemp(prefix="berth-s3-")
        cls.s3 = cls.client()
        cls.big = os.path.join(cls.tmp, "big.bin")
        with open(cls.big, "wb") as f:
            f.write(os.urandom(20 * 1024 * 1024 + 12345))

    @classmethod
    def tearDownClass(cls):
        cls.D.cleanup()
        shutil.rmtree(cls.tmp, ignore_errors=True)

    @classmethod
    def client(cls, daemon=None):
        d = daemon or cls.D
        return harness.boto3.client(
            "s3", endpoint_url=d.url, region_name=REGION,
            aws_access_key_id=d.creds["aws_access_key_id"],
            aws_secret_access_key=d.creds["aws_secret_access_key"],
            config=botocore.config.Config(s3={"addressing_style": "path"},
                                          retries={"max_attempts": 1}))

    def host(self, daemon=None):
        return "127.0.0.1:%d" % (daemon or self.D).port

    def raw(self, method, path, body=b"", headers=None, query="", payload_hash=None, host=None,
            secret=None, daemon=None):
        d = daemon or self.D
        host = host or self.host(d)
        if payload_hash is None:
            payload_hash = hashlib.sha256(body).hexdigest()
        hdrs, _, _, _, _ = sign_s3(d.creds, method, host, path, query, headers, payload_hash,
                                   secret=secret)
        target = path + ("?" + query if query else "")
        return harness.http_request(d.port, method, target, body, hdrs)

    def client_error(self, fn, *args, **kwargs):
        with self.assertRaises(botocore.exceptions.ClientError) as cm:
            fn(*args, **kwargs)
        return cm.exception.response["Error"]["Code"], cm.exception.response

    # --- the AWS CLI's high-level commands ---
    def test_cli_cp_ls_sync_rm_small_and_multipart(self):
        D = self.D
        D.aws("s3", "mb", "s3://cli-bucket")
        small = os.path.join(self.tmp, "small.env")
        with open(small, "w") as f:
            f.write("APP_ENV=production\nDB_HOST=db\n")
        D.aws("s3", "cp", small, "s3://cli-bucket/config/app.env")
        D.aws("s3", "cp", self.big, "s3://cli-bucket/blobs/big.bin")
        _, out, _ = D.aws("s3", "ls", "s3://cli-bucket/")
        self.assertIn("PRE blobs/", out)
        self.assertIn("PRE config/", out)
        _, out, _ = D.aws("s3", "ls", "--recursive", "s3://cli-bucket")
        self.assertIn("config/app.env", out)
        self.assertIn(str(os.path.getsize(self.big)), out)
        # The 20 MB file went up in parts (ETag "-N") and comes back byte for byte.
        head = self.s3.head_object(Bucket="cli-bucket", Key="blobs/big.bin")
        self.assertRegex(head["ETag"], r'^"[0-9a-f]{32}-\d+"$')
        back = os.path.join(self.tmp, "big.back")
        D.aws("s3", "cp", "s3://cli-bucket/blobs/big.bin", back)
        self.assertTrue(self._same(self.big, back))
        D.aws("s3", "cp", "s3://cli-bucket/config/app.env", back)
        self.assertEqual(open(back).read(), open(small).read())
        # sync up, change nothing, sync down.
        src = os.path.join(self.tmp, "site")
        os.makedirs(os.path.join(src, "css"), exist_ok=True)
        for name, text in (("index.html", "<h1>hi</h1>"), ("css/a.css", "a{}"), ("x y.txt", "sp")):
            with open(os.path.join(src, name), "w") as f:
                f.write(text)
        D.aws("s3", "sync", src, "s3://cli-bucket/site")
        _, out, _ = D.aws("s3", "sync", src, "s3://cli-bucket/site")
        self.assertEqual(out or "", "")  # nothing to upload the second time
        dst = os.path.join(self.tmp, "site-back")
        D.aws("s3", "sync", "s3://cli-bucket/site", dst)
        self.assertEqual(open(os.path.join(dst, "x y.txt")).read(), "sp")
        self.assertEqual(open(os.path.join(dst, "css", "a.css")).read(), "a{}")
        rc, _, err = D.aws("s3", "rb", "s3://cli-bucket", check=False)
        self.assertNotEqual(rc, 0)
        self.assertIn("BucketNotEmpty", err)
        D.aws("s3", "rm", "--recursive", "s3://cli-bucket")
        D.aws("s3", "rb", "s3://cli-bucket")
        self.assertNotIn("cli-bucket", [b["Name"] for b in self.s3.list_buckets()["Buckets"]])

    def _same(self, a, b):
        with open(a, "rb") as fa, open(b, "rb") as fb:
            while True:
                x, y = fa.read(1 << 20), fb.read(1 << 20)
                if x != y:
                    return False
                if not x:
                    return True

    def test_presign_with_curl_and_expiry(self):
        D = self.D
        self.s3.create_bucket(Bucket="presign-bucket")
        self.s3.put_object(Bucket="presign-bucket", Key="a dir/file+1.txt", Body=b"presigned!")
        _, url, _ = D.aws("s3", "presign", "s3://presign-bucket/a dir/file+1.txt",
                          "--expires-in", "120")
        url = url.strip()
        out = subprocess.run(["curl", "-s", "-f", url], capture_output=True, timeout=30)
        self.assertEqual(out.returncode, 0, out.stderr)
        self.assertEqual(out.stdout, b"presigned!")
        tampered = url.replace("X-Amz-Expires=120", "X-Amz-Expires=121")
        out = subprocess.run(["curl", "-s", tampered], capture_output=True, timeout=30)
        self.assertEqual(xml_code(out.stdout), "SignatureDoesNotMatch")
        _, short, _ = D.aws("s3", "presign", "s3://presign-bucket/a dir/file+1.txt",
                            "--expires-in", "1")
        time.sleep(2.1)
        out = subprocess.run(["curl", "-s", "-w", "%{http_code}", short.strip()],
                             capture_output=True, timeout=30)
        self.assertTrue(out.stdout.endswith(b"403"), out.stdout)
        self.assertEqual(xml_code(out.stdout), "AccessDenied")
        self.assertIn(b"Request has expired", out.stdout)

    # --- s3api operations ---
    def test_objects_metadata_ranges_conditions_copy_tags(self):
        s3 = self.s3
        s3.create_bucket(Bucket="api-bucket",
                         CreateBucketConfiguration={"LocationConstraint": "eu-west-1"})
        self.assertEqual(s3.get_bucket_location(Bucket="api-bucket")["LocationConstraint"],
                         "eu-west-1")
        s3.head_bucket(Bucket="api-bucket")
        self.assertEqual(self.client_error(s3.create_bucket, Bucket="api-bucket")[0],
                         "BucketAlreadyOwnedByYou")
        self.assertEqual(self.client_error(s3.head_bucket, Bucket="no-such-bucket")[0], "404")
        self.assertEqual(self.client_error(s3.list_objects_v2, Bucket="no-such-bucket")[0],
                         "NoSuchBucket")
        self.assertEqual(self.client_error(s3.create_bucket, Bucket="Bad_Name")[0],
                         "InvalidBucketName")
        put = s3.put_object(Bucket="api-bucket", Key="docs/readme.txt", Body=b"0123456789",
                            ContentType="text/plain", Metadata={"Owner": "ops"},
                            Tagging="env=prod&team=web", CacheControl="max-age=60")
        self.assertEqual(put["ETag"], '"%s"' % hashlib.md5(b"0123456789").hexdigest())
        head = s3.head_object(Bucket="api-bucket", Key="docs/readme.txt")
        self.assertEqual(head["ContentLength"], 10)
        self.assertEqual(head["ContentType"], "text/plain")
        self.assertEqual(head["Metadata"], {"owner": "ops"})
        self.assertEqual(head["CacheControl"], "max-age=60")
        got = s3.get_object(Bucket="api-bucket", Key="docs/readme.txt", Range="bytes=2-4")
        self.assertEqual(got["Body"].read(), b"234")
        self.assertEqual(got["ContentRange"], "bytes 2-4/10")
        self.assertEqual(s3.get_object(Bucket="api-bucket", Key="docs/readme.txt",
                                       Range="bytes=-3")["Body"].read(), b"789")
        self.assertEqual(self.client_error(s3.get_object, Bucket="api-bucket",
                                           Key="docs/readme.txt", Range="bytes=10-")[0],
                         "InvalidRange")
        etag = put["ETag"]
        self.assertEqual(self.client_error(s3.get_object, Bucket="api-bucket",
                                           Key="docs/readme.txt", IfNoneMatch=etag)[0], "304")
        self.assertEqual(self.client_error(s3.get_object, Bucket="api-bucket",
                                           Key="docs/readme.txt", IfMatch='"nope"')[0],
                         "PreconditionFailed")
        future = datetime.datetime.utcnow() + datetime.timedelta(hours=1)
        past = datetime.datetime.utcnow() - datetime.timedelta(hours=1)
        self.assertEqual(self.client_error(s3.get_object, Bucket="api-bucket",
                                           Key="docs/readme.txt", IfModifiedSince=future)[0],
                         "304")
        self.assertEqual(self.client_error(s3.get_object, Bucket="api-bucket",
                                           Key="docs/readme.txt", IfUnmodifiedSince=past)[0],
                         "PreconditionFailed")
        self.assertEqual(s3.get_object(Bucket="api-bucket", Key="docs/readme.txt",
                                       IfMatch=etag, IfModifiedSince=past)["Body"].read(),
                         b"0123456789")
        self.assertEqual(self.client_error(s3.get_object, Bucket="api-bucket", Key="missing")[0],
                         "NoSuchKey")
        # Tags.
        tags = s3.get_object_tagging(Bucket="api-bucket", Key="docs/readme.txt")["TagSet"]
        self.assertEqual(tags, [{"Key": "env", "Value": "prod"}, {"Key": "team", "Value": "web"}])
        s3.put_object_tagging(Bucket="api-bucket", Key="docs/readme.txt",
                              Tagging={"TagSet": [{"Key": "a", "Value": "1"}]})
        self.assertEqual(s3.get_object_tagging(Bucket="api-bucket", Key="docs/readme.txt")
                         ["TagSet"], [{"Key": "a", "Value": "1"}])
        s3.delete_object_tagging(Bucket="api-bucket", Key="docs/readme.txt")
        self.assertEqual(s3.get_object_tagging(Bucket="api-bucket", Key="docs/readme.txt")
                         ["TagSet"], [])
        # Copies: COPY keeps metadata, REPLACE takes the request's.
        s3.copy_object(Bucket="api-bucket", Key="copy1", CopySource="api-bucket/docs/readme.txt")
        h = s3.head_object(Bucket="api-bucket", Key="copy1")
        self.assertEqual((h["ContentType"], h["Metadata"]), ("text/plain", {"owner": "ops"}))
        s3.copy_object(Bucket="api-bucket", Key="copy2",
                       CopySource={"Bucket": "api-bucket", "Key": "docs/readme.txt"},
                       MetadataDirective="REPLACE", ContentType="application/x-new",
                       Metadata={"v": "2"})
        h = s3.head_object(Bucket="api-bucket", Key="copy2")
        self.assertEqual((h["ContentType"], h["Metadata"]), ("application/x-new", {"v": "2"}))
        self.assertEqual(s3.get_object(Bucket="api-bucket", Key="copy2")["Body"].read(),
                         b"0123456789")
        self.assertEqual(self.client_error(s3.copy_object, Bucket="api-bucket", Key="copy1",
                                           CopySource="api-bucket/copy1")[0], "InvalidRequest")
        # Content-MD5.
        good = base64.b64encode(hashlib.md5(b"abc").digest()).decode()
        s3.put_object(Bucket="api-bucket", Key="md5", Body=b"abc", ContentMD5=good)
        self.assertEqual(self.client_error(s3.put_object, Bucket="api-bucket", Key="md5",
                                           Body=b"abd", ContentMD5=good)[0], "BadDigest")
        self.assertEqual(self.client_error(s3.put_object, Bucket="api-bucket", Key="md5",
                                           Body=b"abd", ContentMD5="bm90LW1kNQ==")[0],
                         "InvalidDigest")
        # DeleteObjects, then the bucket can go.
        self.assertEqual(self.client_error(s3.delete_bucket, Bucket="api-bucket")[0],
                         "BucketNotEmpty")
        keys = [o["Key"] for o in s3.list_objects_v2(Bucket="api-bucket")["Contents"]]
        res = s3.delete_objects(Bucket="api-bucket",
                                Delete={"Objects": [{"Key": k} for k in keys + ["ghost"]]})
        self.assertEqual(sorted(d["Key"] for d in res["Deleted"]), sorted(keys + ["ghost"]))
        s3.delete_bucket(Bucket="api-bucket")

    def test_listing_prefix_delimiter_pagination(self):
        s3 = self.s3
        s3.create_bucket(Bucket="list-bucket")
        keys = ["a.txt", "photos/2024/x.jpg", "photos/2024/y.jpg", "photos/2025/z.jpg",
                "photos/top.jpg", "videos/v.mp4", "z", "sp ace/%percent+plus"]
        for k in keys:
            s3.put_object(Bucket="list-bucket", Key=k, Body=k.encode())
        r = s3.list_objects_v2(Bucket="list-bucket", Delimiter="/")
        self.assertEqual([c["Prefix"] for c in r["CommonPrefixes"]],
                         ["photos/", "sp ace/", "videos/"])
        self.assertEqual([o["Key"] for o in r["Contents"]], ["a.txt", "z"])
        r = s3.list_objects_v2(Bucket="list-bucket", Prefix="photos/", Delimiter="/")
        self.assertEqual([c["Prefix"] for c in r["CommonPrefixes"]],
                         ["photos/2024/", "photos/2025/"])
        self.assertEqual(r["KeyCount"], 3)
        pages = s3.get_paginator("list_objects_v2").paginate(
            Bucket="list-bucket", PaginationConfig={"PageSize": 3})
        seen = [o["Key"] for p in pages for o in p.get("Contents", [])]
        self.assertEqual(seen, sorted(keys))
        r = s3.list_objects_v2(Bucket="list-bucket", MaxKeys=2)
        self.assertTrue(r["IsTruncated"])
        r2 = s3.list_objects_v2(Bucket="list-bucket", MaxKeys=2,
                                ContinuationToken=r["NextContinuationToken"])
        self.assertEqual([o["Key"] for o in r2["Contents"]], sorted(keys)[2:4])
        r = s3.list_objects_v2(Bucket="list-bucket", StartAfter="photos/top.jpg")
        self.assertEqual([o["Key"] for o in r["Contents"]], sorted(keys)[5:])
        v1 = s3.get_paginator("list_objects").paginate(
            Bucket="list-bucket", PaginationConfig={"PageSize": 2})
        self.assertEqual([o["Key"] for p in v1 for o in p.get("Contents", [])], sorted(keys))
        r = s3.list_objects(Bucket="list-bucket", Marker="videos/v.mp4")
        self.assertEqual([o["Key"] for o in r["Contents"]], ["z"])
        _, out, _ = self.D.aws("s3api", "list-objects-v2", "--bucket", "list-bucket",
                               "--prefix", "sp ace/")
        self.assertEqual([o["Key"] for o in out["Contents"]], ["sp ace/%percent+plus"])
        self.assertEqual(self.client_error(s3.list_objects_v2, Bucket="list-bucket",
                                           ContinuationToken="!!")[0], "InvalidArgument")

    def test_multipart_api(self):
        s3 = self.s3
        s3.create_bucket(Bucket="mp-bucket")
        up = s3.create_multipart_upload(Bucket="mp-bucket", Key="big", ContentType="app/x",
                                        Metadata={"m": "1"})
        uid = up["UploadId"]
        p1data = os.urandom(5 * 1024 * 1024)
        p1 = s3.upload_part(Bucket="mp-bucket", Key="big", UploadId=uid, PartNumber=1, Body=p1data)
        p2 = s3.upload_part(Bucket="mp-bucket", Key="big", UploadId=uid, PartNumber=2, Body=b"end")
        parts = s3.list_parts(Bucket="mp-bucket", Key="big", UploadId=uid)["Parts"]
        self.assertEqual([(p["PartNumber"], p["Size"]) for p in parts], [(1, len(p1data)), (2, 3)])
        uploads = s3.list_multipart_uploads(Bucket="mp-bucket")["Uploads"]
        self.assertEqual([u["UploadId"] for u in uploads], [uid])
        code, _ = self.client_error(
            s3.complete_multipart_upload, Bucket="mp-bucket", Key="big", UploadId=uid,
            MultipartUpload={"Parts": [{"PartNumber": 1, "ETag": p1["ETag"]},
                                       {"PartNumber": 2, "ETag": '"%s"' % ("0" * 32)}]})
        self.assertEqual(code, "InvalidPart")
        done = s3.complete_multipart_upload(
            Bucket="mp-bucket", Key="big", UploadId=uid,
            MultipartUpload={"Parts": [{"PartNumber": 1, "ETag": p1["ETag"]},
                                       {"PartNumber": 2, "ETag": p2["ETag"]}]})
        md5s = hashlib.md5(bytes.fromhex(p1["ETag"].strip('"')) +
                           bytes.fromhex(p2["ETag"].strip('"'))).hexdigest()
        self.assertEqual(done["ETag"], '"%s-2"' % md5s)
        got = s3.get_object(Bucket="mp-bucket", Key="big")
        self.assertEqual(got["Body"].read(), p1data + b"end")
        self.assertEqual((got["ContentType"], got["Metadata"]), ("app/x", {"m": "1"}))
        self.assertEqual(self.client_error(s3.list_parts, Bucket="mp-bucket", Key="big",
                                           UploadId=uid)[0], "NoSuchUpload")
        # Too small a part that is not the last; abort.
        uid = s3.create_multipart_upload(Bucket="mp-bucket", Key="small")["UploadId"]
        e1 = s3.upload_part(Bucket="mp-bucket", Key="small", UploadId=uid, PartNumber=1,
                            Body=b"a")["ETag"]
        e2 = s3.upload_part(Bucket="mp-bucket", Key="small", UploadId=uid, PartNumber=2,
                            Body=b"b")["ETag"]
        code, _ = self.client_error(
            s3.complete_multipart_upload, Bucket="mp-bucket", Key="small", UploadId=uid,
            MultipartUpload={"Parts": [{"PartNumber": 1, "ETag": e1},
                                       {"PartNumber": 2, "ETag": e2}]})
        self.assertEqual(code, "EntityTooSmall")
        s3.abort_multipart_upload(Bucket="mp-bucket", Key="small", UploadId=uid)
        self.assertEqual(self.client_error(s3.abort_multipart_upload, Bucket="mp-bucket",
                                           Key="small", UploadId=uid)[0], "NoSuchUpload")

    def test_boto3_checksums_and_upload_file(self):
        s3 = self.s3
        s3.create_bucket(Bucket="sum-bucket")
        body = b"checksummed body\n" * 1000
        for algo in ("CRC32", "CRC32C", "SHA1", "SHA256"):
            s3.put_object(Bucket="sum-bucket", Key="k-" + algo, Body=body,
                          ChecksumAlgorithm=algo)
            got = s3.get_object(Bucket="sum-bucket", Key="k-" + algo, ChecksumMode="ENABLED")
            self.assertEqual(got["Body"].read(), body)
            self.assertIn("Checksum" + algo, got)
        crc = base64.b64encode(zlib.crc32(body).to_bytes(4, "big")).decode()
        self.assertEqual(s3.head_object(Bucket="sum-bucket", Key="k-CRC32",
                                        ChecksumMode="ENABLED")["ChecksumCRC32"], crc)
        self.assertEqual(self.client_error(s3.put_object, Bucket="sum-bucket", Key="bad",
                                           Body=body, ChecksumCRC32="AAAAAA==")[0], "BadDigest")
        # s3transfer: multipart upload with per-part checksums, download compared.
        s3.upload_file(self.big, "sum-bucket", "big", ExtraArgs={"ChecksumAlgorithm": "CRC32"})
        back = os.path.join(self.tmp, "big.boto")
        s3.download_file("sum-bucket", "big", back)
        self.assertTrue(self._same(self.big, back))

    # --- the wire: auth, aws-chunked, 100-continue, virtual hosts ---
    def test_unsigned_wrongly_signed_and_bad_payload_hash(self):
        self.s3.create_bucket(Bucket="auth-bucket")
        st, _, body = harness.http_request(self.D.port, "GET", "/auth-bucket",
                                           headers={"Host": self.host()})
        self.assertEqual(st, 403)
        st, _, body = self.raw("GET", "/auth-bucket", secret="wrong-secret")
        self.assertEqual((st, xml_code(body)), (403, "SignatureDoesNotMatch"))
        st, _, body = self.raw("PUT", "/auth-bucket/k", b"real body",
                               payload_hash=hashlib.sha256(b"other body").hexdigest())
        self.assertEqual((st, xml_code(body)), (400, "XAmzContentSHA256Mismatch"))
        st, _, body = self.raw("PUT", "/auth-bucket/k", b"real body")
        self.assertEqual(st, 200)
        # A HEAD that fails has no body, only the status.
        st, _, body = self.raw("HEAD", "/auth-bucket/missing")
        self.assertEqual(st, 404)

    def test_aws_chunked_signed_and_trailer(self):
        self.s3.create_bucket(Bucket="chunk-bucket")
        data = os.urandom(200000)
        chunks = [data[:65536], data[65536:131072], data[131072:]]
        headers = {"content-encoding": "aws-chunked",
                   "x-amz-decoded-content-length": str(len(data))}
        def body_for(tamper=False):
            hdrs, seed, key, amz_date, scope = sign_s3(
                self.D.creds, "PUT", self.host(), "/chunk-bucket/signed", "", headers,
                "STREAMING-AWS4-HMAC-SHA256-PAYLOAD")
            out, prev = b"", seed
            for c in chunks + [b""]:
                prev = chunk_sig(key, amz_date, scope, prev, c)
                if tamper and c is chunks[1]:
                    prev = "0" * 64
                out += b"%x;chunk-signature=%s\r\n" % (len(c), prev.encode()) + c + b"\r\n"
            return hdrs, out
        hdrs, body = body_for()
        st, _, resp = harness.http_request(self.D.port, "PUT", "/chunk-bucket/signed", body, hdrs)
        self.assertEqual(st, 200, resp)
        got = self.s3.get_object(Bucket="chunk-bucket", Key="signed")
        self.assertEqual(got["Body"].read(), data)
        self.assertNotIn("ContentEncoding", got)
        hdrs, body = body_for(tamper=True)
        st, _, resp = harness.http_request(self.D.port, "PUT", "/chunk-bucket/signed", body, hdrs)
        self.assertEqual((st, xml_code(resp)), (403, "SignatureDoesNotMatch"))
        # Unsigned, with a CRC32 trailer (what current SDKs send).
        crc = base64.b64encode(zlib.crc32(data).to_bytes(4, "big"))
        for trailer, want in ((crc, 200), (b"AAAAAA==", 400)):
            body = b"".join(b"%x\r\n" % len(c) + c + b"\r\n" for c in chunks)
            body += b"0\r\nx-amz-checksum-crc32:" + trailer + b"\r\n\r\n"
            h = dict(headers, **{"x-amz-trailer": "x-amz-checksum-crc32"})
            st, _, resp = self.raw("PUT", "/chunk-bucket/trailer", body, h,
                                   payload_hash="STREAMING-UNSIGNED-PAYLOAD-TRAILER")
            self.assertEqual(st, want, resp)
        self.assertEqual(self.s3.get_object(Bucket="chunk-bucket", Key="trailer")["Body"].read(),
                         data)

    def test_expect_100_continue_and_virtual_host(self):
        self.s3.create_bucket(Bucket="vhost-bucket")
        body = b"x" * 300000
        hdrs, _, _, _, _ = sign_s3(self.D.creds, "PUT", self.host(), "/vhost-bucket/cont",
                                   headers={"Expect": "100-continue",
                                            "Content-Length": str(len(body))},
                                   payload_hash="UNSIGNED-PAYLOAD")
        s = socket.create_connection(("127.0.0.1", self.D.port), timeout=10)
        try:
            head = "PUT /vhost-bucket/cont HTTP/1.1\r\n" + "".join(
                "%s: %s\r\n" % kv for kv in hdrs.items()) + "\r\n"
            s.sendall(head.encode())
            first = s.recv(4096)
            self.assertTrue(first.startswith(b"HTTP/1.1 100 Continue"), first)
            s.sendall(body)
            resp = s.recv(4096)
            self.assertTrue(resp.startswith(b"HTTP/1.1 200"), resp)
        finally:
            s.close()
        # Virtual-host style: the bucket in the Host header.
        vhost = "vhost-bucket.localhost:%d" % self.D.port
        st, h, resp = self.raw("GET", "/cont", host=vhost)
        self.assertEqual((st, len(resp)), (200, len(body)))
        st, _, resp = self.raw("GET", "/", host=vhost, query="list-type=2")
        self.assertIn(b"<Key>cont</Key>", resp)
        # Other services keep refusing such hosts.
        st, _, _ = self.D.ecs_raw("ListClusters", host=vhost)
        self.assertEqual(st, 403)

    def test_kill9_during_upload_keeps_old_or_new(self):
        d = harness.Daemon().start()
        try:
            s3 = self.client(d)
            s3.create_bucket(Bucket="crash-bucket")
            old = b"old contents " * 1000
            s3.put_object(Bucket="crash-bucket", Key="obj", Body=old)
            new = os.urandom(30 * 1024 * 1024)
            hdrs, _, _, _, _ = sign_s3(d.creds, "PUT", self.host(d), "/crash-bucket/obj",
                                       headers={"Content-Length": str(len(new))})
            s = socket.create_connection(("127.0.0.1", d.port), timeout=10)
            s.sendall(("PUT /crash-bucket/obj HTTP/1.1\r\n" + "".join(
                "%s: %s\r\n" % kv for kv in hdrs.items()) + "\r\n").encode())
            s.sendall(new[:len(new) // 2])
            time.sleep(0.3)
            d.proc.send_signal(signal.SIGKILL)
            d.proc.wait()
            s.close()
            d.start()
            s3 = self.client(d)
            self.assertEqual(s3.get_object(Bucket="crash-bucket", Key="obj")["Body"].read(), old)
            leftovers = os.listdir(os.path.join(d.data_dir, "objects", "tmp"))
            self.assertEqual(leftovers, [])
            # A finished upload survives a kill -9 right after its answer.
            s3.put_object(Bucket="crash-bucket", Key="obj", Body=new)
            d.proc.send_signal(signal.SIGKILL)
            d.proc.wait()
            d.start()
            got = self.client(d).get_object(Bucket="crash-bucket", Key="obj")["Body"].read()
            self.assertEqual(hashlib.sha256(got).digest(), hashlib.sha256(new).digest())
        finally:
            d.cleanup()

    def test_reset_empties_the_store(self):
        d = harness.Daemon().start()
        try:
            s3 = self.client(d)
            s3.create_bucket(Bucket="reset-bucket")
            s3.put_object(Bucket="reset-bucket", Key="k", Body=b"v")
            d.reset()
            self.assertEqual(s3.list_buckets()["Buckets"], [])
        finally:
            d.cleanup()


if __name__ == "__main__":
    unittest.main()
