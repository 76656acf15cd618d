"""Warm the own stack's worker pools before the measured run: `workers` concurrent requests per
route make every function's pool spawn that many workers (a cold start costs ~0.5 s of CPU, and
on 2 cores dozens of them inside the run would dominate the latencies). Uses a throwaway user;
statuses are not judged (404s and 401s warm a function as well as 200s)."""

import uuid
from concurrent.futures import ThreadPoolExecutor

import httpx

PASSWORD = "load-test warmup 1"


def _login(http: httpx.Client, username: str) -> dict:
    response = http.post("/api/auth/login", json={"username": username, "password": PASSWORD})
    response.raise_for_status()
    return response.json()["data"]


def warm_up(base_url: str, workers: int) -> None:
    with httpx.Client(base_url=base_url, timeout=60) as http:
        username = f"warmup_{uuid.uuid4().hex[:10]}"
        http.post(
            "/api/auth/register",
            json={"username": username, "email": f"{username}@example.com", "password": PASSWORD},
        ).raise_for_status()
        sessions = [_login(http, username) for _ in range(workers)]
        auth = [{"Authorization": f"Bearer {s['access_token']}"} for s in sessions]
        created = http.post("/api/conversations", json={"model_name": "qwen-plus"}, headers=auth[0])
        created.raise_for_status()
        cid = created.json()["data"]["conversation_id"]
        text = [{"type": "text", "text": "warm up"}]
        chat = {"model": "qwen-plus", "messages": [{"role": "user", "content": text}]}
        rounds = [
            lambda i: http.post(
                "/api/auth/register",
                json={
                    "username": f"{username}_{i}",
                    "email": f"{username}_{i}@example.com",
                    "password": PASSWORD,
                },
            ),
            lambda i: http.post("/api/auth/login", json={"username": username, "password": PASSWORD}),
            lambda i: http.post("/api/auth/refresh", json={"refresh_token": f"not-a-token-{i}"}),
            lambda i: http.get("/api/auth/user", headers=auth[i]),
            lambda i: http.post("/api/conversations", json={"model_name": "qwen-plus"}, headers=auth[i]),
            lambda i: http.get("/api/conversations", headers=auth[i]),
            lambda i: http.get(f"/api/conversations/{cid}", headers=auth[i]),
            lambda i: http.put(f"/api/conversations/{cid}", json={"title": f"warm {i}"}, headers=auth[i]),
            lambda i: http.delete("/api/conversations/999999999", headers=auth[i]),
            lambda i: http.post(
                f"/api/conversations/{cid}/messages", json={"content": text}, headers=auth[i]
            ),
            lambda i: http.get(f"/api/conversations/{cid}/messages", headers=auth[i]),
            lambda i: http.delete("/api/messages/999999999", headers=auth[i]),
            lambda i: http.post("/api/bailian/chat/completions", json=chat, headers=auth[i]),
            lambda i: http.get("/api/history/api-calls", headers=auth[i]),
            lambda i: http.get("/api/history/conversations/statistics", headers=auth[i]),
            lambda i: http.post("/api/auth/logout", headers=auth[i]),  # last: it ends the sessions
        ]
        with ThreadPoolExecutor(max_workers=workers) as pool:
            for request in rounds:
                list(pool.map(request, range(workers)))
