"""Model providers behind one interface: local transformers decoding, OpenAI-compatible servers, none.

`base` holds the request, the result, the protocol and the errors; `guard` adds timeouts, retries, a
concurrency limit and token totals; `checking` rejects output that does not parse; `factory` builds a
provider from plain settings values. Model libraries are imported only by the modules that use them.
"""
