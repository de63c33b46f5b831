"""The sandbox tier: bubblewrap, notebook kernels and the processes that run student code, one hand-in at most."""
