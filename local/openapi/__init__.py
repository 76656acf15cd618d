"""What the OpenAPI document adds to the functions' own documents: the envelope, API Gateway's
own answers, the OpenAI-compatible and streamed routes. Docs-only, out of the runtime layer."""
