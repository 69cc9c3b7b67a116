"""The same client with a user name and password (an IAM token), as the SDK's quick start does it.

    export GCSAPPLY_ENDPOINT=http://127.0.0.1:8787 HW_USER_NAME=... HW_USER_PASSWORD=... HW_PROJECT_ID=...
    python token_demo.py    # HW_DOMAIN_NAME too when the user is not the account's main user
"""
import os

from gcs import GCSClient

gcs = GCSClient()
gcs.set_user_auth_param(os.environ["HW_USER_NAME"], os.environ["HW_USER_PASSWORD"], os.environ["HW_PROJECT_ID"],
                        os.environ.get("HW_DOMAIN_NAME"))  # None: the account is named like the user
print([w["name"] for w in gcs.get_workflows().json()["workflow"]])
