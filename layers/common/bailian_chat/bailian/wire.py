"""Our content arrays <-> the upstream's message format."""


def to_upstream(role: str, content: list[dict] | str) -> dict:
    """Text-only content goes as a plain string (every Qwen model takes it); anything with an
    image or video goes as the OpenAI-style parts array the VL models take."""
    if isinstance(content, str):
        return {"role": role, "content": content}
    if all(part.get("type") == "text" for part in content):
        return {"role": role, "content": "\n".join(part["text"] for part in content)}
    return {"role": role, "content": content}


def reply_content(text: str) -> list[dict]:
    """The spec answers content as an array of parts, never the upstream's bare string."""
    return [{"type": "text", "text": text}]
