"""Alibaba Cloud Model Studio (Bailian) client: the only package that imports httpx."""
