"""Running untrusted repository content: the runner contract, bubblewrap, and the explicit no-sandbox mode."""
