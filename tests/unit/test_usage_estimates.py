"""bailian_chat.usage.usage_estimates: the usage logged for a stream whose upstream never said."""

from bailian_chat.usage import usage_estimates


def test_text_is_about_four_utf8_bytes_a_token():
    assert usage_estimates.text_tokens("") == 0
    assert usage_estimates.text_tokens("abcd") == 1
    assert usage_estimates.text_tokens("abcde") == 2
    assert usage_estimates.text_tokens("你好世界") == 3  # 12 bytes


def test_the_prompt_counts_every_message_text_and_tool_but_no_image_bytes():
    call = {"function": {"name": "ab", "arguments": "cd"}}
    image = {"type": "image_url", "image_url": {"url": "data:image/png;base64," + "A" * 40_000}}
    payload = {
        "model": "qwen-vl-plus",
        "messages": [
            {"role": "system", "content": "abcd"},
            {"role": "user", "content": [{"type": "text", "text": "abcdefgh"}, image]},
            {"role": "assistant", "content": None, "tool_calls": [call]},
        ],
        "tools": [{"type": "function", "function": {"name": "lookup"}}],
    }
    tools = usage_estimates.text_tokens('[{"type": "function", "function": {"name": "lookup"}}]')

    assert usage_estimates.prompt_tokens(payload) == (4 + 1) + (4 + 2) + (4 + 1) + tools


def test_odd_message_shapes_count_as_no_text_rather_than_fail():
    payload = {"messages": [{"role": "user"}, {"role": "assistant", "content": [3, None], "tool_calls": [7]}]}

    assert usage_estimates.prompt_tokens(payload) == 8


def test_completion_is_never_fewer_tokens_than_chunks_received():
    assert usage_estimates.completion_tokens("ab", chunks=5) == 5
    assert usage_estimates.completion_tokens("a" * 40, chunks=2) == 10
