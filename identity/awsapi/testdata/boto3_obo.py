"""The article's data-plane calls with boto3, against an onbehalf broker.

Reads ONBEHALF_IDENTITY_URL, AWS_REGION, the workload key in
AWS_ACCESS_KEY_ID/AWS_SECRET_ACCESS_KEY, USER_TOKEN (Token A), WORKLOAD_NAME,
OTHER_WORKLOAD, PROVIDER and SCOPE. Prints one JSON object: Token B and the
error boto3 raised for a workload asking for another workload's token.
"""
import json
import os

import boto3
from botocore.config import Config
from botocore.exceptions import ClientError

env = os.environ
client = boto3.client(
    "bedrock-agentcore",
    endpoint_url=env["ONBEHALF_IDENTITY_URL"],
    region_name=env["AWS_REGION"],
    config=Config(retries={"max_attempts": 1, "mode": "standard"}),
)

wat = client.get_workload_access_token_for_jwt(
    workloadName=env["WORKLOAD_NAME"], userToken=env["USER_TOKEN"]
)["workloadAccessToken"]

token = client.get_resource_oauth2_token(
    workloadIdentityToken=wat,
    resourceCredentialProviderName=env["PROVIDER"],
    scopes=[env["SCOPE"]],
    oauth2Flow="ON_BEHALF_OF_TOKEN_EXCHANGE",
)

result = {"accessToken": token["accessToken"], "requestId": token["ResponseMetadata"]["RequestId"]}
try:
    client.get_workload_access_token_for_jwt(
        workloadName=env["OTHER_WORKLOAD"], userToken=env["USER_TOKEN"]
    )
    result["otherWorkload"] = "allowed"
except ClientError as e:
    result["otherWorkload"] = e.response["Error"]["Code"]
    result["otherWorkloadStatus"] = e.response["ResponseMetadata"]["HTTPStatusCode"]
print(json.dumps(result))
