"""Makes a user an admin (the first admin, or any later one): `make admin USERNAME=alice`.

    python -m local.make_admin alice                                  the running `make dev` stack
    python -m local.make_admin alice --table NAME --region ap-southeast-1   a deployed table
    python -m local.make_admin --backfill [--table NAME --region R]         once, for older users

Against the local stack it reads the DynamoDB Local endpoint and table that `make dev` wrote to
.local/dev-stack.json when it started. Against a deployed table it uses your AWS credentials (the
usual boto3 chain: AWS_PROFILE, environment, SSO) and needs dynamodb:GetItem and
dynamodb:UpdateItem on the table (the stack output TableName). The user must have registered.
The change goes through the same transaction as PUT /api/admin/users/{id} (the active-admin count
is kept with it); a disabled user is re-enabled, since an admin who cannot sign in is none.
"""

import argparse
import json
import os
import sys
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parents[1]
STACK_FILE = REPO_ROOT / ".local" / "dev-stack.json"
LAYER = REPO_ROOT / "layers" / "common"


def write_stack_file(endpoint: str, table_name: str, path: Path = STACK_FILE) -> None:
    """Called by `make dev` once its DynamoDB Local is up."""
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps({"dynamodb_endpoint": endpoint, "table_name": table_name}) + "\n")


def local_target(path: Path = STACK_FILE) -> dict[str, str]:
    if not path.exists():
        raise SystemExit(f"make_admin: {path} not found: start the local stack first (make dev)")
    stack = json.loads(path.read_text())
    return {
        "TABLE_NAME": stack["table_name"],
        "DYNAMODB_ENDPOINT": stack["dynamodb_endpoint"],
        "AWS_REGION": "us-east-1",
        "AWS_ACCESS_KEY_ID": os.environ.get("AWS_ACCESS_KEY_ID", "local"),
        "AWS_SECRET_ACCESS_KEY": os.environ.get("AWS_SECRET_ACCESS_KEY", "local"),
    }


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="python -m local.make_admin", description=__doc__.splitlines()[0])
    parser.add_argument("username", nargs="?", help="the user's username (or email)")
    parser.add_argument(
        "--backfill",
        action="store_true",
        help="once, on a table with users from before roles existed: add their directory entries, "
        "session pointers and the active-admin count (Scans the table; idempotent)",
    )
    parser.add_argument("--table", help="a deployed table's name (default: the local stack's)")
    parser.add_argument("--region", help="the deployed table's region (with --table)")
    parser.add_argument("--endpoint", help="a DynamoDB endpoint URL (default: AWS, or the local stack's)")
    args = parser.parse_args(argv)
    if args.table and not args.region:
        parser.error("--table needs --region")
    if not args.username and not args.backfill:
        parser.error("name the user (or pass --backfill)")
    return args


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    if args.table:
        target = {"TABLE_NAME": args.table, "AWS_REGION": args.region}
        if args.endpoint:
            target["DYNAMODB_ENDPOINT"] = args.endpoint
    else:
        target = local_target()
    os.environ.update(target)
    os.environ.setdefault("POWERTOOLS_SERVICE_NAME", "make-admin")
    os.environ.setdefault("JWT_SECRET", "unused-by-make-admin-0123456789abcdef")
    sys.path.insert(0, str(LAYER))
    from bailian_chat.auth.admin_users import make_admin
    from bailian_chat.errors import NotFound
    from bailian_chat.store.account_backfill import backfill

    if args.backfill:
        print(f"backfilled table {target['TABLE_NAME']}: {backfill()}")
        if not args.username:
            return 0

    try:
        user = make_admin(args.username)
    except NotFound as error:
        print(f"make_admin: {error.message} in table {target['TABLE_NAME']}", file=sys.stderr)
        return 1
    print(f"{user['username']} (user {user['user_id']}) is an admin of table {target['TABLE_NAME']}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
