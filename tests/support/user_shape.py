"""The user object as the auth answers carry it: the spec's fields plus role (issue 13, add-only);
registration adds created_at, the current user also last_login_at. And the spec's timestamp form."""

import re

ISO_SECONDS_Z = re.compile(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}Z$")
LOGIN_USER_FIELDS = {"user_id", "username", "email", "nickname", "avatar_url", "phone", "status", "role"}
REGISTERED_USER_FIELDS = LOGIN_USER_FIELDS | {"created_at"}
CURRENT_USER_FIELDS = REGISTERED_USER_FIELDS | {"last_login_at"}
