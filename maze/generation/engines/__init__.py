"""Grammar-constrained decoding engines behind one interface (`base.Engine`), chosen by `registry.get`."""
