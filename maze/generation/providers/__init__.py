"""Model providers behind one interface: local transformers decoding, and none.

`base` holds the request, the result, the protocol and the errors; `guard` adds timeouts, retries, a
concurrency limit and token totals; `checking` rejects output that does not parse. The provider for
OpenAI-compatible servers does network I/O, so it lives with the workers (`tasks/model_server.py`), and
`tasks/model_providers.py` builds the configured provider. Model libraries are imported only by the
modules that use them.
"""
