"""Sign requests with botocore's SigV4Auth and send them with botocore's own
HTTP session (the stack the AWS CLI and boto3 use).

Reads {"base": URL, "cases": [...]} as JSON on stdin; writes one JSON list
of {"name", "status"} on stdout. Each case: name, target (path?query, as it
goes on the wire), method, body, headers (list of [name, value]),
accessKey, secretKey, token, service, region, s3 (use S3SigV4Auth, which
adds X-Amz-Content-SHA256), unsignedPayload (payload_signing_enabled=False:
botocore then signs UNSIGNED-PAYLOAD), tamperBody (replaces the body after
signing). The case name goes in X-Test-Case, added after signing.

Exits 77 when botocore is not installed, so the Go test can skip.
"""

import json
import sys

try:
    from botocore.auth import S3SigV4Auth, SigV4Auth
    from botocore.awsrequest import AWSRequest
    from botocore.credentials import Credentials
    from botocore.httpsession import URLLib3Session
except ImportError as e:
    print(f"botocore not importable: {e}", file=sys.stderr)
    sys.exit(77)


def main():
    spec = json.load(sys.stdin)
    session = URLLib3Session(timeout=10)
    results = []
    for case in spec["cases"]:
        req = AWSRequest(
            method=case.get("method", "POST"),
            url=spec["base"] + case["target"],
            data=case.get("body", "").encode("utf-8"),
        )
        req.headers["Content-Type"] = "application/x-amz-json-1.1"
        for name, value in case.get("headers", []):
            req.headers[name] = value  # HTTPHeaders appends: repeats are kept
        if case.get("unsignedPayload"):
            req.context["payload_signing_enabled"] = False
        creds = Credentials(case["accessKey"], case["secretKey"], case.get("token"))
        signer = S3SigV4Auth if case.get("s3") else SigV4Auth
        signer(creds, case.get("service", "bedrock-agentcore"), case.get("region", "us-east-1")).add_auth(req)
        if "tamperBody" in case:
            req.data = case["tamperBody"].encode("utf-8")
        req.headers["X-Test-Case"] = case["name"]
        resp = session.send(req.prepare())
        results.append({"name": case["name"], "status": resp.status_code})
    json.dump(results, sys.stdout)


if __name__ == "__main__":
    main()
