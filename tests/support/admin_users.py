"""The admin user routes as the tests drive them through the in-process gateway."""


def users_page(gateway, token: str, query: str = "") -> dict:
    """GET /api/admin/users`query` (e.g. "?status=0"), which must answer 200: its data."""
    response = gateway.request("GET", f"/api/admin/users{query}", token=token)
    assert response.status == 200, response
    return response.body["data"]


def ids_and_total(data: dict) -> tuple[list[int], int]:
    return [user["user_id"] for user in data["users"]], data["pagination"]["total"]


def set_status(gateway, token: str, user_id: int, status: int) -> None:
    response = gateway.request("PUT", f"/api/admin/users/{user_id}", {"status": status}, token=token)
    assert response.status == 200, response
